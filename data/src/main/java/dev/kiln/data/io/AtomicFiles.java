package dev.kiln.data.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writing a file so that readers (and a crash) see the old content or the whole new one, never a
 * half-written file: the bytes go to a temporary file in the same directory, are forced to disk,
 * and the temporary file is renamed over the target (atomically where the file system allows).
 * The one implementation every module uses.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Fills the temporary file that will become the target. */
    @FunctionalInterface
    public interface Writer {
        void write(Path temporary) throws IOException;
    }

    /** Writes {@code text} as UTF-8 to {@code file} atomically, creating parent directories. */
    public static void writeString(Path file, String text) throws IOException {
        Objects.requireNonNull(text, "AtomicFiles.writeString: text");
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code file} atomically, creating parent directories. */
    public static void write(Path file, byte[] bytes) throws IOException {
        Objects.requireNonNull(bytes, "AtomicFiles.write: bytes");
        write(file, tmp -> Files.write(tmp, bytes));
    }

    /**
     * Writes {@code file} by one call to {@code writer} on a temporary path, then forces and renames
     * it. The temporary name keeps the target's extension (image encoders add one when it is
     * missing) and is unique per call.
     */
    public static void write(Path file, Writer writer) throws IOException {
        Objects.requireNonNull(file, "AtomicFiles.write: file");
        Path tmp = temporary(file);
        try {
            writer.write(tmp);
            publish(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A fresh temporary path beside {@code target} (parent directories created), for callers that
     * stream into it themselves and then {@link #publish}. Not {@code Files.createTempFile}: its
     * owner-only permissions would stay on the renamed file.
     */
    public static Path temporary(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String name = target.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot > 0 ? name.substring(dot) : "";
        return dir.resolve("." + (dot > 0 ? name.substring(0, dot) : name) + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp" + ext);
    }

    /** Forces the finished temporary file {@code tmp} to disk and renames it to {@code target}. */
    public static void publish(Path tmp, Path target) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING); // same directory: only exotic file systems get here
        }
    }
}
