package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Utf8Test {
    @Test
    void validUtf8DecodesLikeTheJdk() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 2000; i++) {
            String s = TokenizeFixtures.randomText(rng, 20, false);
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(new String(b, StandardCharsets.UTF_8), Utf8.decodeLossy(b, b.length));
        }
    }

    @Test
    void invalidSequencesAreReplacedLikePython() {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> cases = (List<Map<String, Object>>) TokenizeFixtures.fixture().get("lossy_utf8");
        for (Map<String, Object> c : cases) {
            byte[] b = HexFormat.of().parseHex((String) c.get("hex"));
            assertEquals(c.get("decoded"), Utf8.decodeLossy(b, b.length), "bytes " + c.get("hex"));
        }
        assertEquals(300, cases.size());
    }

    @Test
    void handCheckedReplacements() {
        byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
        assertEquals("\uFFFD\uFFFD\uFFFD", Utf8.decodeLossy(surrogate, 3), "ED then two stray continuations");
        byte[] truncated = {(byte) 0xF0, (byte) 0x9F, (byte) 0x94, 'a'};
        assertEquals("\uFFFDa", Utf8.decodeLossy(truncated, 4), "a truncated 4-byte form is one replacement");
    }
}
