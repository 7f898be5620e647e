package dev.kiln.optim.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A directory of training checkpoints named {@code step-000010.ckpt} (the step, at least six
 * digits), keeping the newest {@code keepLast}.
 *
 * <p>{@link #save} writes the new file atomically, reads it back to verify its checksum, and only
 * then deletes the older files beyond {@code keepLast}, so a crash at any point leaves at least
 * the previous good checkpoint. {@link #restoreLatest} tries the newest file first and falls back
 * to older ones when a file is corrupt (e.g. the disk filled up or a copy was cut short),
 * reporting each one skipped in the result's warnings and to the {@link System.Logger}.
 *
 * <p>One writer per directory: temporary files another process is writing would be deleted as
 * leftovers.
 */
public final class CheckpointDirectory {
    private static final Pattern NAME = Pattern.compile("step-(\\d{6,18})\\.ckpt");
    private static final Pattern LEFTOVER = Pattern.compile("\\.step-\\d{6,18}\\.ckpt\\.[0-9a-f]+\\.tmp");
    private static final System.Logger LOG = System.getLogger(CheckpointDirectory.class.getName());

    private final Path dir;
    private final int keepLast;

    /** Creates {@code dir} if needed. */
    public CheckpointDirectory(Path dir, int keepLast) throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("CheckpointDirectory: keepLast must be >= 1, got " + keepLast);
        }
        this.dir = Files.createDirectories(dir);
        this.keepLast = keepLast;
    }

    public Path directory() {
        return dir;
    }

    /** The file of the checkpoint at {@code step}: {@code step-000010.ckpt}. */
    public Path pathFor(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("CheckpointDirectory.pathFor: step must be >= 0, got " + step);
        }
        return dir.resolve(String.format("step-%06d.ckpt", step));
    }

    /** The checkpoint files present, oldest step first. */
    public List<Path> checkpoints() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        }
        out.sort(Comparator.comparingLong(CheckpointDirectory::stepOf));
        return out;
    }

    private static long stepOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalStateException("not a checkpoint name: " + p);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * Saves {@code checkpoint} at {@code step}, verifies the written file, then deletes all but the
     * newest {@code keepLast} checkpoints (and temporary files left by interrupted saves).
     *
     * @return the new file
     */
    public Path save(TrainingCheckpoint checkpoint, long step, Map<String, String> extra) throws IOException {
        Path file = pathFor(step);
        checkpoint.save(file, step, extra);
        CheckpointFile.read(file).close(); // throws if what reached the disk is not what was written
        List<Path> all = checkpoints();
        for (int i = 0; i < all.size() - keepLast; i++) {
            Files.deleteIfExists(all.get(i));
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (LEFTOVER.matcher(p.getFileName().toString()).matches()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return file;
    }

    /**
     * Restores {@code checkpoint} from the newest file that verifies. Corrupt newer files are
     * skipped (and named in {@link TrainingCheckpoint.Restored#warnings()}); a file that is intact
     * but does not fit the registered objects is an error, not skipped.
     *
     * @return empty when the directory holds no checkpoint
     * @throws CorruptCheckpointException when there are checkpoints but every one is corrupt
     */
    public Optional<TrainingCheckpoint.Restored> restoreLatest(TrainingCheckpoint checkpoint) throws IOException {
        List<Path> all = checkpoints();
        List<String> warnings = new ArrayList<>();
        CorruptCheckpointException last = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                TrainingCheckpoint.Restored r = checkpoint.load(all.get(i));
                return Optional.of(r.withWarnings(warnings));
            } catch (CorruptCheckpointException e) {
                String w = "skipped " + e.getMessage();
                LOG.log(System.Logger.Level.WARNING, w);
                warnings.add(w);
                last = e;
            }
        }
        if (last != null) {
            throw new CorruptCheckpointException(dir, "all " + all.size() + " checkpoints are corrupt: "
                    + String.join("; ", warnings), last);
        }
        return Optional.empty();
    }
}
