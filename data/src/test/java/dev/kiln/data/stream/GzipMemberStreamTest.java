package dev.kiln.data.stream;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.gzipMembers;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class GzipMemberStreamTest {
    private static final byte[] A = utf8("first member\n".repeat(500));
    private static final byte[] B = utf8("second\n");
    private static final byte[] C = utf8("third member, the last one\n".repeat(300));

    private static byte[] readAll(byte[] gz) throws IOException {
        try (GzipMemberStream in = new GzipMemberStream(new ByteArrayInputStream(gz), "test.gz")) {
            return in.readAllBytes();
        }
    }

    @Test
    void concatenatedMembersReadAsOneStream() throws IOException {
        assertArrayEquals(concat(A, B, C), readAll(gzipMembers(A, B, C)));
        assertArrayEquals(concat(A, new byte[0], C), readAll(gzipMembers(A, new byte[0], C)));
    }

    @Test
    void headerWithNameExtraCommentAndHeaderCrcIsParsed() throws IOException {
        byte[] member = handMadeMember(B, 0x02 | 0x04 | 0x08 | 0x10);
        assertArrayEquals(concat(B, A), readAll(concat(member, gzipMembers(A))));
    }

    @Test
    void everyTruncationIsAnErrorAndWhatCameBeforeIsAPrefix() throws IOException {
        byte[] full = gzipMembers(A, B, C);
        byte[] expected = concat(A, B, C);
        int end1 = gzipMembers(A).length;
        int end2 = end1 + gzipMembers(B).length;
        // a cut exactly between members leaves a valid, shorter file: nothing can tell it apart
        assertArrayEquals(A, readAll(Arrays.copyOf(full, end1)));
        assertArrayEquals(concat(A, B), readAll(Arrays.copyOf(full, end2)));
        for (int cut = 1; cut < full.length; cut++) {
            if (cut == end1 || cut == end2) {
                continue;
            }
            byte[] truncated = Arrays.copyOf(full, cut);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            GzipMemberStream in = new GzipMemberStream(new ByteArrayInputStream(truncated), "cut.gz");
            byte[] buf = new byte[97];
            MalformedDataException e = assertThrows(MalformedDataException.class, () -> {
                int n;
                while ((n = in.read(buf, 0, buf.length)) >= 0) {
                    got.write(buf, 0, n);
                }
            }, "cut at " + cut);
            assertTrue(e.getMessage().startsWith("cut.gz: gzip member #"), e.getMessage());
            byte[] prefix = got.toByteArray();
            assertArrayEquals(Arrays.copyOf(expected, prefix.length), prefix, "cut at " + cut);
            in.close();
        }
    }

    @Test
    void truncationInsideTheLastHeaderIsNotSilent() {
        // java.util.zip.GZIPInputStream returns A and stops without a word here
        byte[] gz = concat(gzipMembers(A), new byte[] {0x1f, (byte) 0x8b, 8});
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> readAll(gz));
        assertTrue(e.getMessage().contains("gzip member #1 (at compressed offset " + gzipMembers(A).length
                + "): the file ends inside the member's header"), e.getMessage());
    }

    @Test
    void trailingGarbageCorruptionAndNonGzipAreErrors() {
        byte[] one = gzipMembers(A);
        MalformedDataException garbage = assertThrows(MalformedDataException.class, () -> readAll(concat(one, utf8("junk!"))));
        assertTrue(garbage.getMessage().contains("5 byte(s) after the last complete member do not start a gzip member"),
                garbage.getMessage());

        byte[] badCrc = one.clone();
        badCrc[badCrc.length - 6] ^= 1; // inside the stored CRC-32
        assertTrue(assertThrows(MalformedDataException.class, () -> readAll(badCrc)).getMessage().contains("CRC-32 mismatch"));

        byte[] badSize = one.clone();
        badSize[badSize.length - 1] ^= 1; // inside ISIZE
        assertTrue(assertThrows(MalformedDataException.class, () -> readAll(badSize)).getMessage().contains("length mismatch"));

        byte[] badData = one.clone();
        badData[12] = (byte) 0xff; // first deflate block header: reserved block type
        MalformedDataException corrupt = assertThrows(MalformedDataException.class, () -> readAll(badData));
        assertTrue(corrupt.getMessage().contains("corrupt deflate data"), corrupt.getMessage());

        MalformedDataException notGzip = assertThrows(MalformedDataException.class, () -> readAll(utf8("plain")));
        assertEquals("test.gz: gzip member #0 (at compressed offset 0): not gzip data (starts with 0x70)", notGzip.getMessage());
    }

    /** A gzip member built by hand with the optional header fields {@code flags} asks for. */
    private static byte[] handMadeMember(byte[] data, int flags) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flags, 0, 0, 0, 0, 0, 3});
        if ((flags & 0x04) != 0) {
            out.writeBytes(new byte[] {4, 0, 'a', 'b', 2, 0}); // XLEN = 4
        }
        if ((flags & 0x08) != 0) {
            out.writeBytes(utf8("name.txt\0"));
        }
        if ((flags & 0x10) != 0) {
            out.writeBytes(utf8("a comment\0"));
        }
        if ((flags & 0x02) != 0) {
            out.writeBytes(new byte[] {0x12, 0x34}); // header CRC16, not checked
        }
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(data);
        d.finish();
        byte[] buf = new byte[data.length + 64];
        int n = d.deflate(buf);
        d.end();
        out.write(buf, 0, n);
        CRC32 crc = new CRC32();
        crc.update(data);
        long c = crc.getValue();
        out.writeBytes(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
            (byte) data.length, (byte) (data.length >> 8), (byte) (data.length >> 16), (byte) (data.length >> 24)});
        return out.toByteArray();
    }
}
