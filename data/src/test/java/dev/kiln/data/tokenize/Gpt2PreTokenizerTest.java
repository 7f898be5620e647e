package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Gpt2PreTokenizerTest {
    /** GPT-2's pattern, as Hugging Face's ByteLevel pre-tokenizer uses it; Unicode classes for \s. */
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static List<String> regexWords(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2.matcher(text);
        int expected = 0;
        while (m.find()) {
            assertEquals(expected, m.start(), "the regex covers the text without gaps: " + text);
            out.add(m.group());
            expected = m.end();
        }
        return out;
    }

    @Test
    void handPickedSplits() {
        assertEquals(List.of("Hello", ",", " world", "!"), Gpt2PreTokenizer.words("Hello, world!"));
        assertEquals(List.of("it", "'s", " the", " kiln", "'s"), Gpt2PreTokenizer.words("it's the kiln's"));
        assertEquals(List.of("a", " ", " b"), Gpt2PreTokenizer.words("a  b"));
        assertEquals(List.of("a", "\n", "\n", "b"), Gpt2PreTokenizer.words("a\n\nb"));
        assertEquals(List.of("a", "\t", "b"), Gpt2PreTokenizer.words("a\tb"));
        assertEquals(List.of("end", "   "), Gpt2PreTokenizer.words("end   "));
        assertEquals(List.of("x", " 123", " $", "19", ".", "99"), Gpt2PreTokenizer.words("x 123 $19.99"));
        assertEquals(List.of("''", "s"), Gpt2PreTokenizer.words("''s"), "a contraction only starts a word");
        assertEquals(List.of("'", "S"), Gpt2PreTokenizer.words("'S"), "contractions are case-sensitive");
        assertEquals(List.of("e", "\u0301"), Gpt2PreTokenizer.words("e\u0301"), "a combining mark is not a letter");
        assertEquals(List.of("\uD835\uDD18\uD835\uDD2B"), Gpt2PreTokenizer.words("\uD835\uDD18\uD835\uDD2B"),
                "supplementary letters stay one run");
        assertEquals(List.of("a", "\u00a0", "\u00a0", "b"), Gpt2PreTokenizer.words("a\u00a0\u00a0b"),
                "NBSP is whitespace (Unicode White_Space)");
        assertEquals(List.of("a", "\u001c\u001d", "b"), Gpt2PreTokenizer.words("a\u001c\u001db"),
                "information separators are not whitespace");
        assertEquals(List.of(), Gpt2PreTokenizer.words(""));
    }

    @Test
    void agreesWithTheRegexOnRandomText() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 3000; i++) {
            String text = TokenizeFixtures.randomText(rng, 30, false);
            assertEquals(regexWords(text), Gpt2PreTokenizer.words(text), () -> "text: " + escape(text));
        }
    }

    @Test
    void agreesWithHuggingFaceOnTheFixtureStrings() {
        int checked = 0;
        for (Map<String, Object> c : TokenizeFixtures.cases()) {
            String text = (String) c.get("text");
            List<?> expectedParts = (List<?>) c.get("words");
            String[] parts = text.split(Pattern.quote(TokenizeFixtures.SPECIAL), -1);
            assertEquals(expectedParts.size(), parts.length, () -> "parts of " + escape(text));
            for (int p = 0; p < parts.length; p++) {
                List<String> byteLevel = new ArrayList<>();
                for (String w : Gpt2PreTokenizer.words(parts[p])) {
                    byte[] b = w.getBytes(StandardCharsets.UTF_8);
                    byteLevel.add(ByteAlphabet.encode(b, 0, b.length));
                }
                int part = p;
                assertEquals(expectedParts.get(p), byteLevel, () -> "part " + part + " of " + escape(text));
                checked++;
            }
        }
        assertEquals(true, checked > 150, "fixture has cases");
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7F) {
                sb.appendCodePoint(cp);
            } else {
                sb.append(String.format("\\u{%X}", cp));
            }
        });
        return sb.toString();
    }
}
