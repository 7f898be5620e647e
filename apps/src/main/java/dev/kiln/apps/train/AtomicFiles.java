package dev.kiln.apps.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file under a temporary name in the same folder, then renames it over the target, so a
 * reader (or a crash) never sees half a file.
 */
final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code file} by one call to {@code writer} on a temporary path. */
    @FunctionalInterface
    interface Writer {
        void write(Path temporary) throws IOException;
    }

    static void writeString(Path file, String text) throws IOException {
        write(file, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    /** The temporary name keeps the target's extension (PNG encoders add one when it is missing). */
    static void write(Path file, Writer writer) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot > 0 ? name.substring(dot) : "";
        // Not Files.createTempFile: its files are owner-only (0600), unlike the run's other files.
        Path tmp = dir.resolve("." + (dot > 0 ? name.substring(0, dot) : name) + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp" + ext);
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
