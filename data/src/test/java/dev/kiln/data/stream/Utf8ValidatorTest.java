package dev.kiln.data.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Utf8ValidatorTest {
    /** The JDK's strict decoder as the reference: index of the first malformed byte, or -1. */
    private static int jdkFirstInvalid(byte[] b) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(2 * b.length + 4);
        CoderResult r = d.decode(in, out, true);
        if (r.isUnderflow()) {
            r = d.flush(out);
        }
        return r.isError() ? in.position() : -1;
    }

    @Test
    void edgeCasesOfRfc3629() {
        int[][] invalid = {
            {0x80}, {0xc0, 0x80}, {0xc1, 0xbf}, {0xe0, 0x80, 0x80}, {0xe0, 0x9f, 0xbf}, {0xed, 0xa0, 0x80},
            {0xf0, 0x8f, 0xbf, 0xbf}, {0xf4, 0x90, 0x80, 0x80}, {0xf5, 0x80, 0x80, 0x80}, {0xff}, {0xe2, 0x82}, {0xf0, 0x9f, 0x98},
        };
        for (int[] seq : invalid) {
            byte[] b = bytes(seq);
            assertEquals(0, Utf8Validator.firstInvalid(b, 0, b.length), java.util.Arrays.toString(seq));
            assertEquals(0, jdkFirstInvalid(b));
        }
        int[][] valid = {{0x7f}, {0xc2, 0x80}, {0xe0, 0xa0, 0x80}, {0xed, 0x9f, 0xbf}, {0xee, 0x80, 0x80},
            {0xf0, 0x90, 0x80, 0x80}, {0xf4, 0x8f, 0xbf, 0xbf}};
        for (int[] seq : valid) {
            byte[] b = bytes(seq);
            assertEquals(-1, Utf8Validator.firstInvalid(b, 0, b.length), java.util.Arrays.toString(seq));
        }
    }

    @Test
    void agreesWithTheJdkDecoderOnRandomBytes() {
        SplittableRandom r = new SplittableRandom(7);
        // bytes drawn mostly from valid lead/continuation ranges, so that errors are rare and varied
        int[] pool = {0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf4, 0xf5};
        for (int trial = 0; trial < 20000; trial++) {
            byte[] b = new byte[r.nextInt(1, 9)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) pool[r.nextInt(pool.length)];
            }
            assertEquals(jdkFirstInvalid(b), Utf8Validator.firstInvalid(b, 0, b.length), java.util.HexFormat.of().formatHex(b));
        }
    }

    @Test
    void decodeReportsOrReplaces() {
        byte[] b = {'c', 'a', 'f', (byte) 0xe9, '!'};
        assertNull(Utf8Validator.decode(b, 0, b.length, Utf8Policy.REPORT));
        assertEquals("caf\uFFFD!", Utf8Validator.decode(b, 0, b.length, Utf8Policy.REPLACE));
        assertEquals("af", Utf8Validator.decode(b, 1, 2, Utf8Policy.REPORT));
        assertEquals(3, Utf8Validator.firstInvalid(b, 1, 4));
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
