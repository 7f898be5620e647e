package dev.kiln.data.stream;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.data.io.MalformedDataException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StrictUtf8ReaderTest {
    /** Hands out one byte per read, so every multi-byte sequence is split across reads. */
    private static InputStream trickle(byte[] b) {
        return new ByteArrayInputStream(b) {
            @Override
            public synchronized int read(byte[] dst, int off, int len) {
                return super.read(dst, off, Math.min(len, 1));
            }
        };
    }

    private static String readAll(StrictUtf8Reader r, StringBuilder got) throws IOException {
        char[] buf = new char[7];
        int n;
        while ((n = r.read(buf, 0, buf.length)) >= 0) {
            got.append(buf, 0, n);
        }
        return got.toString();
    }

    @Test
    void decodesLikeTheJdkWhateverTheReadSizes() throws IOException {
        SplittableRandom rnd = new SplittableRandom(3);
        String[] pieces = {"a", "é", "日本", "😀", "\n", "<x>", "Ω"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append(pieces[rnd.nextInt(pieces.length)]);
        }
        String text = sb.toString();
        try (StrictUtf8Reader r = new StrictUtf8Reader(trickle(utf8(text)), "t")) {
            assertEquals(text, readAll(r, new StringBuilder()));
        }
        try (StrictUtf8Reader r = new StrictUtf8Reader(new ByteArrayInputStream(utf8("\uFEFF<a/>")), "bom")) {
            assertEquals("<a/>", readAll(r, new StringBuilder()));
        }
    }

    @Test
    void charactersBeforeABadByteComeFirstThenTheErrorNamesItsOffset() throws IOException {
        byte[] b = concat(utf8("x".repeat(100) + "é"), new byte[] {(byte) 0xc3, '('}, utf8("rest"));
        StringBuilder got = new StringBuilder();
        try (StrictUtf8Reader r = new StrictUtf8Reader(new ByteArrayInputStream(b), "f.xml")) {
            MalformedDataException e = assertThrows(MalformedDataException.class, () -> readAll(r, got));
            assertEquals("f.xml: invalid UTF-8 at byte offset 102 (byte 0xc3)", e.getMessage());
            assertEquals("x".repeat(100) + "é", got.toString());
            assertSame(e, assertThrows(MalformedDataException.class, () -> r.read(new char[4], 0, 4)));
        }
        try (StrictUtf8Reader r = new StrictUtf8Reader(trickle(concat(utf8("ok"), new byte[] {(byte) 0xe2, (byte) 0x82})), "cut")) {
            assertEquals("cut: invalid UTF-8 at byte offset 2 (byte 0xe2)",
                    assertThrows(MalformedDataException.class, () -> readAll(r, new StringBuilder())).getMessage());
        }
    }
}
