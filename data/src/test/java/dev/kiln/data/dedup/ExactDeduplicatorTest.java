package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.parallel.CloseableIterator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ExactDeduplicatorTest {
    @Test
    void contentHashIsTheFirstHalfOfSha256() throws Exception {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad (FIPS 180-2 example)
        assertEquals("ba7816bf8f01cfea414140de5dae2223", ContentHash.of("abc").toString());
        String s = "d\u00e9j\u00e0 vu \uD83D\uDE00";
        byte[] full = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(full, 0, 16), ContentHash.of(s).toString());
    }

    @Test
    void canonicalFormIgnoresCaseWidthInvisiblesAndSpacing() {
        ExactDeduplicator d = new ExactDeduplicator();
        assertEquals(-1, d.add("Hello World.\nSecond line."));
        assertEquals(0, d.add("  hello\u200B   WORLD.\r\n\uFF33econd line.  "));
        assertEquals(-1, d.add("Hello World. Second line.")); // the line break is content
        assertEquals(3, d.size());
        assertEquals(2, d.distinct());

        ExactDeduplicator bytes = new ExactDeduplicator(UnaryOperator.identity());
        assertEquals(-1, bytes.add("a"));
        assertEquals(-1, bytes.add("A"));
        assertNotEquals(bytes.hash("a"), bytes.hash("a "));
    }

    @Test
    void filterKeepsFirstOccurrencesInOrderAtAnyThreadCount() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            docs.add("document " + (i % 700) + (i % 3 == 0 ? "  " : ""));
        }
        for (int threads : new int[] {1, 3}) {
            FilterReport r = new FilterReport();
            List<String> kept = new ArrayList<>();
            try (CloseableIterator<String> it = new ExactDeduplicator().filter(docs.iterator(), t -> t, r, threads)) {
                it.forEachRemaining(kept::add);
            }
            assertEquals(docs.subList(0, 700), kept);
            assertEquals(2000, r.stage(ExactDeduplicator.STAGE).seen());
            assertEquals(1300, r.stage(ExactDeduplicator.STAGE).removed());
        }
    }
}
