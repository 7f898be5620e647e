package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    /**
     * The textbook trainer: recount every pair of every word after each merge, take the most
     * frequent, ties to the smallest (left id, right id). Same id order as Kiln's (specials, then
     * the byte alphabet sorted by character); words from java.util.regex's GPT-2 pattern.
     */
    static List<String[]> naiveMerges(List<String> texts, int vocabSize, long minFrequency, List<String> specials) {
        List<String> vocab = new ArrayList<>(specials);
        TreeMap<Character, Integer> sortedAlphabet = new TreeMap<>();
        for (int b = 0; b < 256; b++) {
            sortedAlphabet.put(ByteAlphabet.charOf(b), b);
        }
        for (char c : sortedAlphabet.keySet()) {
            if (!vocab.contains(String.valueOf(c))) {
                vocab.add(String.valueOf(c));
            }
        }
        Map<String, Long> wordCounts = new LinkedHashMap<>();
        java.util.regex.Pattern gpt2 = java.util.regex.Pattern.compile(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);
        for (String text : texts) {
            java.util.regex.Matcher m = gpt2.matcher(text);
            while (m.find()) {
                wordCounts.merge(m.group(), 1L, Long::sum);
            }
        }
        List<List<Integer>> words = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        wordCounts.forEach((w, c) -> {
            List<Integer> s = new ArrayList<>();
            for (byte b : w.getBytes(StandardCharsets.UTF_8)) {
                s.add(vocab.indexOf(String.valueOf(ByteAlphabet.charOf(b))));
            }
            words.add(s);
            counts.add(c);
        });
        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            Map<List<Integer>, Long> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<Integer> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairCounts.merge(List.of(s.get(i), s.get(i + 1)), counts.get(w), Long::sum);
                }
            }
            List<Integer> best = null;
            long bestCount = 0;
            for (Map.Entry<List<Integer>, Long> e : pairCounts.entrySet()) {
                List<Integer> p = e.getKey();
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && best != null && (p.get(0) < best.get(0)
                        || (p.get(0).equals(best.get(0)) && p.get(1) < best.get(1))))) {
                    best = p;
                    bestCount = c;
                }
            }
            if (best == null || bestCount < minFrequency) {
                break;
            }
            String merged = vocab.get(best.get(0)) + vocab.get(best.get(1));
            int id = vocab.indexOf(merged);
            if (id < 0) {
                vocab.add(merged);
                id = vocab.size() - 1;
            }
            merges.add(new String[] {vocab.get(best.get(0)), vocab.get(best.get(1))});
            for (List<Integer> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(best.get(0)) && s.get(i + 1).equals(best.get(1))) {
                        s.set(i, id);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    private static List<String> names(List<String[]> merges) {
        List<String> out = new ArrayList<>();
        for (String[] m : merges) {
            out.add(m[0] + " " + m[1]);
        }
        return out;
    }

    @Test
    void handComputedMergesAndTieBreaking() {
        // One word, "aaabdaaabac". Counts: aa 4, then (aa a) and (a b) tie at 2 and (a b) wins on the
        // smaller left id (a = 64 < aa = 256); then (aa ab) 2; then four pairs tie at 1 and the
        // smallest left id goes first: (a c), then (d aaab), then (aaab daaab).
        BpeTokenizer tok = new BpeTrainer(256 + 6, 0, List.of()).add("aaabdaaabac").train();
        assertEquals(List.of("a a", "a b", "aa ab", "a c", "d aaab", "aaab daaab"), names(tok.merges()));
        assertEquals(64, tok.id("a").getAsInt());
        assertEquals(0, tok.id("!").getAsInt(), "the byte alphabet is sorted by character");
        assertEquals(256, tok.id("aa").getAsInt());
        assertArrayEquals(new int[] {261}, tok.encode("aaabdaaab"));
    }

    @Test
    void incrementalCountsMatchARecountEveryStep() {
        SplittableRandom rng = new SplittableRandom(21);
        for (int corpus = 0; corpus < 12; corpus++) {
            List<String> texts = new ArrayList<>();
            int nTexts = 1 + rng.nextInt(20);
            for (int t = 0; t < nTexts; t++) {
                StringBuilder sb = new StringBuilder();
                int words = rng.nextInt(40);
                for (int w = 0; w < words; w++) {
                    if (rng.nextInt(3) == 0) {
                        sb.append(TokenizeFixtures.randomText(rng, 3, false));
                    }
                    sb.append(' ');
                    int len = 1 + rng.nextInt(8);
                    for (int k = 0; k < len; k++) {
                        sb.append("abcdeé".charAt(rng.nextInt(6))); // few letters: many repeats and ties
                    }
                }
                texts.add(sb.toString());
            }
            int vocab = 256 + rng.nextInt(120);
            long minFrequency = rng.nextInt(4);
            List<String> specials = corpus % 2 == 0 ? List.of() : List.of("<s>");
            List<String[]> expected = naiveMerges(texts, vocab + specials.size(), minFrequency, specials);
            BpeTokenizer trained = new BpeTrainer(vocab + specials.size(), minFrequency, specials).addAll(texts).train();
            assertEquals(names(expected), names(trained.merges()), "corpus " + corpus);
        }
    }

    @Test
    void stopsAtTheVocabularySizeOrTheMinimumFrequency() {
        List<String> texts = List.of("low lower lowest low low newer newest wider");
        BpeTokenizer small = new BpeTrainer(260, 0, List.of()).addAll(texts).train();
        assertEquals(260, small.vocabSize());
        assertEquals(4, small.merges().size());
        BpeTokenizer frequent = new BpeTrainer(10_000, 3, List.of()).addAll(texts).train();
        assertFalse(frequent.merges().isEmpty());
        BpeTokenizer all = new BpeTrainer(10_000, 0, List.of()).addAll(texts).train();
        assertTrue(all.merges().size() > frequent.merges().size(), "min frequency 3 stops earlier");
        // With no limit the words end up whole.
        assertArrayEquals(new int[] {all.id("Ġlowest").getAsInt()}, all.encode(" lowest"));
        BpeTokenizer tiny = new BpeTrainer(100, 0, List.of()).addAll(texts).train();
        assertEquals(256, tiny.vocabSize(), "a vocabulary smaller than the bytes keeps all 256 and learns nothing");
    }

    @Test
    void specialTokensTakeTheFirstIdsAndAreNotCounted() {
        BpeTrainer trainer = new BpeTrainer(300, 0, List.of("<|endoftext|>", "<pad>"));
        trainer.add("ab<|endoftext|>ab<|endoftext|><|endoftext|>ab");
        assertEquals(1, trainer.distinctWords(), "only \"ab\" was counted");
        BpeTokenizer tok = trainer.train();
        assertEquals(0, tok.id("<|endoftext|>").getAsInt());
        assertEquals(1, tok.id("<pad>").getAsInt());
        assertEquals(2, tok.id("!").getAsInt());
        assertEquals(List.of("a b"), names(tok.merges()));
        assertEquals(List.of(new AddedToken(0, "<|endoftext|>", true), new AddedToken(1, "<pad>", true)), tok.addedTokens());
        assertArrayEquals(new int[] {258, 0, 258}, tok.encode("ab<|endoftext|>ab"));
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(0, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, -1, List.of()));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> new BpeTrainer(300, 0, List.of("<s>", "<s>")));
        assertTrue(twice.getMessage().contains("\"<s>\" is given twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 0, List.of("")));
    }
}
