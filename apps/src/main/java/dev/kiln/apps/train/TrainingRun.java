package dev.kiln.apps.train;

import dev.kiln.optim.checkpoint.CheckpointDirectory;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.MetricsSink;
import dev.kiln.optim.train.StopOnShutdown;
import dev.kiln.optim.train.TrainingLoop;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.Optional;

/**
 * What every {@code kiln train} app does around its {@link TrainingLoop}: the run directory, its
 * {@code checkpoints/} folder, {@code --resume} (restore the newest checkpoint, keep the metrics
 * up to its step), the metrics log, and Ctrl-C (a {@link StopOnShutdown} held until {@link #close},
 * so the checkpoint and the last words are written before the JVM exits).
 *
 * <p>Use: {@link #open}, build the loop with {@link #metrics()} as its sink and
 * {@link #checkpoints()} as its directory, {@link #start}, {@code loop.fit()}, then
 * {@link #interrupted} or the app's own outputs; close.
 */
final class TrainingRun implements AutoCloseable {
    /** The exit status of a run stopped by Ctrl-C (128 + SIGINT), as a shell reports it. */
    static final int INTERRUPTED_EXIT = 130;

    /** How long Ctrl-C waits for the current step and the checkpoint before the JVM exits anyway. */
    private static final Duration GRACE = Duration.ofMinutes(5);

    private final RunDirectory dir;
    private final boolean resume;
    private final String app;
    private final CheckpointDirectory checkpoints;
    private MetricsLog log;
    private StopOnShutdown stop;

    private TrainingRun(RunDirectory dir, boolean resume, String app, int keepCheckpoints) throws IOException {
        this.dir = dir;
        this.resume = resume;
        this.app = app;
        this.checkpoints = new CheckpointDirectory(dir.path().resolve("checkpoints"), keepCheckpoints);
    }

    /**
     * The run directory of {@code app} ({@code --out}, else a new timestamped one).
     *
     * @throws IllegalArgumentException with {@code --resume} but no {@code --out}, or no checkpoint in it
     */
    static TrainingRun open(RunOptions common, String app, int keepCheckpoints) throws IOException {
        if (common.resume) {
            if (common.out == null) {
                throw new IllegalArgumentException("kiln train " + app + ": --resume needs --out DIR, the run to continue");
            }
            Path ckpts = common.out.resolve("checkpoints");
            if (!Files.isDirectory(ckpts) || new CheckpointDirectory(ckpts, keepCheckpoints).checkpoints().isEmpty()) {
                throw new IllegalArgumentException("kiln train " + app + ": --resume: no checkpoint in " + ckpts);
            }
        }
        TrainingRun run = new TrainingRun(RunDirectory.create(common.out, app, LocalDateTime.now()), common.resume, app,
                keepCheckpoints);
        if (!common.resume) {
            // a new run in an old directory: the old run's checkpoints must not be resumed into this one
            for (Path p : run.checkpoints.checkpoints()) {
                Files.delete(p);
            }
        }
        return run;
    }

    RunDirectory dir() {
        return dir;
    }

    CheckpointDirectory checkpoints() {
        return checkpoints;
    }

    /** The metrics log as the loop's sink (the log itself is opened by {@link #start}). */
    MetricsSink metrics() {
        return r -> log.write(r);
    }

    /** The log, after {@link #start}. */
    MetricsLog log() {
        return log;
    }

    /**
     * Resumes {@code loop} when {@code --resume} was given (printing where), opens the metrics log
     * (continued up to the checkpoint's step, or new) and installs the Ctrl-C handler.
     *
     * @return the checkpoint it resumed from, empty for a new run
     */
    Optional<TrainingCheckpoint.Restored> start(TrainingLoop<?> loop, PrintWriter out) throws IOException {
        Optional<TrainingCheckpoint.Restored> restored = Optional.empty();
        if (resume) {
            restored = loop.resume();
            TrainingCheckpoint.Restored r = restored.orElseThrow(() -> new IllegalStateException(
                    "kiln train " + app + ": --resume: no readable checkpoint in " + checkpoints.directory()));
            r.warnings().forEach(w -> out.println("warning: " + w));
            out.println("resuming from " + r.file() + " (step " + r.step() + ")");
            log = MetricsLog.continuing(dir.metrics(), r.step());
        } else {
            log = new MetricsLog(dir.metrics());
        }
        stop = StopOnShutdown.install(loop, GRACE);
        return restored;
    }

    /** Reports a run stopped by Ctrl-C and returns the exit status for it. */
    int interrupted(TrainingLoop.Result r, PrintWriter out, Path outFlag) {
        out.println();
        out.println("interrupted after step " + r.steps() + "; checkpoint " + r.checkpoint());
        out.println("continue with: ./kiln train " + app + " ... --out " + (outFlag != null ? outFlag : dir.path()) + " --resume");
        out.flush();
        return INTERRUPTED_EXIT;
    }

    /** Records an app-specific record (the summary) in the log. */
    void write(Map<String, ?> record) {
        log.write(record);
    }

    @Override
    public void close() throws IOException {
        try {
            if (log != null) {
                log.close();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            if (stop != null) {
                stop.close();
            }
        }
    }
}
