package dev.kiln.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextFileTest {
    @TempDir
    Path dir;

    @Test
    void readsPlainAndGzippedUtf8() throws IOException {
        Path plain = dir.resolve("a.txt");
        Files.writeString(plain, "héllo\r\nwörld\n");
        Path gz = dir.resolve("a.txt.gz");
        try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(gz))) {
            os.write("héllo\r\nwörld\n".getBytes(StandardCharsets.UTF_8));
        }
        for (Path p : List.of(plain, gz)) {
            assertEquals("héllo\r\nwörld\n", TextFile.read(p, StandardCharsets.UTF_8));
            assertEquals(List.of("héllo", "wörld"), TextFile.lines(p, StandardCharsets.UTF_8));
        }
    }

    @Test
    void invalidUtf8IsReportedWithLineAndOffsetOrReplacedWhenLenient() throws IOException {
        Path f = dir.resolve("latin1.txt");
        Files.write(f, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xe9, '\n'});
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> TextFile.read(f, StandardCharsets.UTF_8));
        assertEquals(f + ": line 2, byte offset 6: malformed UTF-8 byte sequence (first byte 0xe9)", e.getMessage());
        assertEquals("ok\ncaf\uFFFD\n", TextFile.readLenient(f, StandardCharsets.UTF_8));
        assertEquals("ok\ncafé\n", TextFile.read(f, StandardCharsets.ISO_8859_1));
        assertTrue(TextFile.decode(new byte[0], StandardCharsets.UTF_8, "empty").isEmpty());
    }
}
