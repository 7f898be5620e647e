package dev.kiln.serve.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Streamed text against its definition, on random texts over a tiny alphabet (so stop strings occur often). */
class StreamedTextTest {
    @Test
    void piecesAddUpToTheCutTextAndNeverShowAStopPrefixThatBecameAStop() {
        Random r = new Random(3);
        for (int trial = 0; trial < 2000; trial++) {
            String text = random(r, 1 + r.nextInt(30));
            List<String> stops = List.of(random(r, 1 + r.nextInt(3)), random(r, 1 + r.nextInt(4)));
            String expected = cutNaively(text, stops);
            StreamedText s = new StreamedText(stops, false);
            StringBuilder sent = new StringBuilder();
            for (int i = 1; i <= text.length(); i++) {
                sent.append(s.advance(text.substring(0, i)));
                // the sent text is a prefix of the final answer: nothing of a stop string went out
                assertTrue(expected.startsWith(sent.toString()), "sent \"" + sent + "\" of \"" + text + "\" with stops " + stops);
                if (!cutNaively(text.substring(0, i), stops).equals(text.substring(0, i))) {
                    break; // the scheduler ends the sample once a stop string is complete
                }
            }
            sent.append(s.finish(expected));
            assertEquals(expected, sent.toString(), "\"" + text + "\" with stops " + stops);
        }
    }

    @Test
    void textThatCannotBeginAStopIsSentAtOnce() {
        StreamedText s = new StreamedText(List.of("xyz"), false);
        assertEquals("ab", s.advance("ab"));
        assertEquals("", s.advance("abx")); // "x" might begin "xyz"
        assertEquals("xa", s.advance("abxa")); // it did not
        assertEquals("", s.advance("abxaxy"));
        assertEquals("", s.finish("abxa")); // "xyz" came: the answer ends before it
    }

    @Test
    void aTrailingReplacementCharacterWaitsForTheNextTokenOnlyWhenAsked() {
        StreamedText bpe = new StreamedText(List.of(), true);
        assertEquals("a", bpe.advance("a\uFFFD"));
        assertEquals("é", bpe.advance("aé"));
        StreamedText chars = new StreamedText(List.of(), false);
        assertFalse(chars.advance("a\uFFFD").isEmpty());
    }

    private static String random(Random r, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append("abc".charAt(r.nextInt(3)));
        }
        return b.toString();
    }

    /** The text up to the earliest position where any stop string starts. */
    private static String cutNaively(String text, List<String> stops) {
        for (int at = 0; at < text.length(); at++) {
            for (String stop : stops) {
                if (text.startsWith(stop, at)) {
                    return text.substring(0, at);
                }
            }
        }
        return text;
    }
}
