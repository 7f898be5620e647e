package dev.kiln.data.stream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opening input files for streaming: gzip is recognised by its magic number (1f 8b), not by the name. */
public final class InputFiles {
    private static final int BUFFER = 1 << 16;

    private InputFiles() {}

    /**
     * {@code file}'s content, decompressed by a strict {@link GzipMemberStream} when it starts with
     * the gzip magic number.
     *
     * @throws NoSuchFileException naming the file when it does not exist
     */
    public static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new GzipMemberStream(raw, file.toString());
            }
            return raw;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
