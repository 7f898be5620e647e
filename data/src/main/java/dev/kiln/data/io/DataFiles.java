package dev.kiln.data.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening data files: gzip is recognised by its magic number (1f 8b), not by the file name. */
public final class DataFiles {
    private static final int BUFFER = 1 << 16;

    private DataFiles() {}

    /** A buffered stream of {@code file}'s content, decompressed when the file is gzipped. */
    public static InputStream open(Path file) throws IOException {
        return maybeGunzip(new BufferedInputStream(Files.newInputStream(file), BUFFER));
    }

    /** {@code in} decompressed when it starts with the gzip magic number, else {@code in} itself. */
    public static InputStream maybeGunzip(InputStream in) throws IOException {
        InputStream buffered = in.markSupported() ? in : new BufferedInputStream(in, BUFFER);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(buffered, BUFFER), BUFFER);
        }
        return buffered;
    }

    /** All of {@code file}'s bytes, decompressed when it is gzipped. */
    public static byte[] readAllBytes(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return in.readAllBytes();
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new MalformedDataException(file + ": corrupt or truncated gzip data: " + e.getMessage(), e);
        }
    }
}
