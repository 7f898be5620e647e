package dev.kiln.apps.train;

import dev.kiln.optim.checkpoint.CheckpointDirectory;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.optim.train.BatchSource;
import dev.kiln.optim.train.MetricsSink;
import dev.kiln.optim.train.NonFiniteLossPolicy;
import dev.kiln.optim.train.StopOnShutdown;
import dev.kiln.optim.train.Trainer;
import dev.kiln.optim.train.TrainingLoop;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * What every {@code kiln train} app does around its {@link TrainingLoop}: the run directory (a new
 * run refuses a non-empty one unless {@code --force} clears the old run's files), its
 * {@code checkpoints/} folder, {@code --resume} (restore the newest checkpoint, keep the metrics
 * up to its step), the metrics log, {@code --on-nonfinite warn}'s one warning, and Ctrl-C (a
 * {@link StopOnShutdown} held until {@link #close}, so the checkpoint and the last words are
 * written before the JVM exits). A NaN loss under the default {@code --on-nonfinite stop} ends the
 * loop's fit with a {@link dev.kiln.optim.train.NonFiniteLossException}, which the command line
 * reports as its one error line.
 *
 * <p>Use: {@link #open}, build the loop from {@link #loop} (the metrics sink and the
 * non-finite-loss policy set) with {@link #checkpoints()} as its directory, {@link #start},
 * {@code loop.fit()}, then {@link #interrupted} or the app's own outputs; close.
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
    private final boolean warnNonFinite;
    private final NonFiniteLossPolicy nonFiniteLoss;
    private MetricsLog log;
    private StopOnShutdown stop;
    private PrintWriter out;
    private boolean warnedNonFinite;

    private TrainingRun(RunDirectory dir, RunOptions common, String app, int keepCheckpoints) throws IOException {
        this.dir = dir;
        this.resume = common.resume;
        this.warnNonFinite = common.onNonFinite == RunOptions.OnNonFinite.warn;
        this.nonFiniteLoss = common.nonFiniteLoss();
        this.app = app;
        this.checkpoints = new CheckpointDirectory(dir.path().resolve("checkpoints"), keepCheckpoints);
    }

    /**
     * The run directory of {@code app} ({@code --out}, else a new timestamped one).
     *
     * <p>Argument errors: {@code --resume} but no {@code --out}, or no checkpoint in it;
     * {@code --resume} with {@code --force}; a new run in a non-empty directory without
     * {@code --force}, or in one that is not a run directory; an {@code --out} that is a file.
     *
     * @throws java.nio.file.AccessDeniedException when the run directory is not writable
     * @throws ParameterException for the argument errors above, as usage errors of {@code spec}'s
     *     command (exit 2)
     */
    static TrainingRun open(CommandSpec spec, RunOptions common, String app, int keepCheckpoints) throws IOException {
        try {
            return openChecked(common, app, keepCheckpoints);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static TrainingRun openChecked(RunOptions common, String app, int keepCheckpoints) throws IOException {
        common.checkOut("kiln train " + app + ": "); // again: applyConfig checked before the data was read
        if (!common.resume && common.force && common.out != null && !RunDirectory.contents(common.out).isEmpty()) {
            // a new run never mixes with an old one: its checkpoints would be resumed, its metrics appended to
            RunDirectory.clearRun(common.out);
        }
        if (common.resume) {
            if (common.out == null) {
                throw new IllegalArgumentException("kiln train " + app + ": --resume needs --out DIR, the run to continue");
            }
            Path ckpts = common.out.resolve("checkpoints");
            if (!Files.isDirectory(ckpts) || new CheckpointDirectory(ckpts, keepCheckpoints).checkpoints().isEmpty()) {
                throw new IllegalArgumentException("kiln train " + app + ": --resume: no checkpoint in " + ckpts);
            }
        }
        RunDirectory dir = RunDirectory.create(common.out, app, LocalDateTime.now());
        if (!Files.isWritable(dir.path())) { // fail now, not after the data is loaded and the first epoch is trained
            throw new AccessDeniedException(dir.path().toString(), null, "the run directory is not writable");
        }
        return new TrainingRun(dir, common, app, keepCheckpoints);
    }

    RunDirectory dir() {
        return dir;
    }

    CheckpointDirectory checkpoints() {
        return checkpoints;
    }

    /** A loop builder with this run's metrics sink and {@code --on-nonfinite} policy. */
    <B> TrainingLoop.Builder<B> loop(Trainer<B> trainer, BatchSource<B> source) {
        return TrainingLoop.builder(trainer, source).metrics(metrics()).onNonFiniteLoss(nonFiniteLoss);
    }

    /** The metrics log as the loop's sink (the log itself is opened by {@link #start}). */
    MetricsSink metrics() {
        return r -> {
            warnIfNonFinite(r);
            log.write(r);
        };
    }

    /** {@code --on-nonfinite warn}: the first NaN or infinite step loss is reported once, then training goes on. */
    private void warnIfNonFinite(Map<String, ?> record) {
        if (warnNonFinite && !warnedNonFinite && "step".equals(record.get("kind")) && record.get("loss") instanceof Double loss
                && !Double.isFinite(loss)) {
            warnedNonFinite = true;
            out.println();
            out.println("warning: loss is " + loss + " at step " + record.get("step") + " (epoch "
                    + (((Number) record.get("epoch")).longValue() + 1) + "); training goes on (--on-nonfinite warn)");
            out.flush();
        }
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
        this.out = out;
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
