package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    private static BpeTokenizer trained;
    private static BpeTokenizer huggingFace;

    @BeforeAll
    static void tokenizers() throws IOException {
        trained = new BpeTrainer(600, 0, List.of(TokenizeFixtures.SPECIAL)).addAll(TokenizeFixtures.corpusLines()).train();
        huggingFace = BpeTokenizer.load(TokenizeFixtures.resource("hf_tokenizer.json"));
    }

    /**
     * Encoding written the slow, obvious way: special tokens cut out with indexOf, words from
     * java.util.regex's GPT-2 pattern, each word's byte characters merged as strings by GPT-2's
     * loop (lowest-ranked pair, every occurrence), then looked up in the vocabulary.
     */
    static int[] referenceEncode(BpeTokenizer tok, String text, String special) {
        Map<String, Integer> rank = new HashMap<>();
        List<String[]> merges = tok.merges();
        for (int r = 0; r < merges.size(); r++) {
            rank.putIfAbsent(merges.get(r)[0] + " " + merges.get(r)[1], r);
        }
        Pattern gpt2 = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                Pattern.UNICODE_CHARACTER_CLASS);
        List<Integer> out = new ArrayList<>();
        String[] parts = text.split(Pattern.quote(special), -1);
        for (int p = 0; p < parts.length; p++) {
            if (p > 0) {
                out.add(tok.id(special).getAsInt());
            }
            Matcher m = gpt2.matcher(parts[p]);
            while (m.find()) {
                List<String> s = new ArrayList<>();
                for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                    s.add(String.valueOf(ByteAlphabet.charOf(b)));
                }
                while (s.size() > 1) {
                    int best = Integer.MAX_VALUE;
                    for (int i = 0; i + 1 < s.size(); i++) {
                        best = Math.min(best, rank.getOrDefault(s.get(i) + " " + s.get(i + 1), Integer.MAX_VALUE));
                    }
                    if (best == Integer.MAX_VALUE) {
                        break;
                    }
                    String[] pair = merges.get(best);
                    List<String> merged = new ArrayList<>();
                    for (int i = 0; i < s.size(); i++) {
                        if (i + 1 < s.size() && s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                            merged.add(pair[0] + pair[1]);
                            i++;
                        } else {
                            merged.add(s.get(i));
                        }
                    }
                    s = merged;
                }
                for (String t : s) {
                    out.add(tok.id(t).getAsInt());
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void encodeMatchesTheReferenceAndRoundTripsOnRandomUnicode() {
        SplittableRandom rng = new SplittableRandom(2024);
        for (int i = 0; i < 1500; i++) {
            String text = TokenizeFixtures.randomText(rng, 40, true);
            String label = "text: " + Gpt2PreTokenizerTest.escape(text);
            for (BpeTokenizer tok : List.of(trained, huggingFace)) {
                int[] ids = tok.encode(text);
                assertArrayEquals(referenceEncode(tok, text, TokenizeFixtures.SPECIAL), ids, label);
                assertEquals(text, tok.decode(ids), label);
            }
        }
    }

    @Test
    void longWordsTakeTheHeapLoopAndStillMatch() {
        for (String text : List.of("a".repeat(1000), " ".repeat(500) + "x", "9".repeat(300), "kiln".repeat(200),
                "\u00e9".repeat(400), "\uD83D\uDD25".repeat(100))) {
            int[] ids = trained.encode(text);
            assertArrayEquals(referenceEncode(trained, text, TokenizeFixtures.SPECIAL), ids);
            assertEquals(text, trained.decode(ids));
        }
    }

    @Test
    void withoutMergesEveryByteIsOneToken() {
        BpeTokenizer bytes = new BpeTrainer(256, 0, List.of()).train();
        String text = "a é 🔥\n";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = bytes.encode(text);
        assertEquals(utf8.length, ids.length);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(String.valueOf(ByteAlphabet.charOf(utf8[i])), bytes.token(ids[i]));
        }
        assertEquals(text, bytes.decode(ids));
    }

    @Test
    void specialTokensAreMatchedWholeAndNeverSplit() {
        int eot = trained.id(TokenizeFixtures.SPECIAL).getAsInt();
        int[] ids = trained.encode("a<|endoftext|><|endoftext|>b");
        assertEquals(4, ids.length);
        assertEquals(eot, ids[1]);
        assertEquals(eot, ids[2]);
        for (int id : trained.encode("<|endoftext|  <|endoftext  |endoftext|>")) {
            assertTrue(id != eot, "an incomplete special token is ordinary text");
        }
        assertEquals("x<|endoftext|>y", trained.decode(trained.encode("x<|endoftext|>y")));
    }

    @Test
    void addedTokensMatchLeftmostLongest() {
        Map<Integer, String> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(b, String.valueOf(ByteAlphabet.charOf(b)));
        }
        List<AddedToken> added = List.of(new AddedToken(256, "ab", true), new AddedToken(257, "abc", true),
                new AddedToken(258, "bcd", false));
        BpeTokenizer tok = new BpeTokenizer(vocab, List.of(), added, false);
        int x = tok.encode("x")[0];
        int d = tok.encode("d")[0];
        assertArrayEquals(new int[] {x, 257, d}, tok.encode("xabcd"), "abc (longest at the leftmost start) beats ab and bcd");
        assertArrayEquals(new int[] {x, 256, 256}, tok.encode("xabab"));
        assertArrayEquals(new int[] {256, x, 258}, tok.encode("abxbcd"), "a non-special added token matches too");
        assertEquals("xabcd", tok.decode(tok.encode("xabcd")));
    }

    @Test
    void unpairedSurrogatesBecomeReplacementCharacters() {
        assertEquals("a\uFFFDb\uFFFD", trained.decode(trained.encode("a\uD800b\uDC00")));
        assertEquals("\uFFFD", trained.decode(trained.encode("\uD83D")));
    }

    @Test
    void decodeRejectsIdsOutOfRange() {
        int n = trained.vocabSize();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trained.decode(new int[] {5, n}));
        assertEquals("decode: id " + n + " at position 1 is out of range: the vocabulary has ids 0.." + (n - 1), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> trained.decode(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> trained.token(n));
        assertEquals("", trained.decode(new int[0]));
    }

    @Test
    void aVocabularyWithoutSomeByteSaysWhichByte() {
        Map<Integer, String> vocab = new LinkedHashMap<>();
        for (char c = 'a'; c <= 'z'; c++) {
            vocab.put(c - 'a', String.valueOf(c));
        }
        vocab.put(26, "ab");
        BpeTokenizer letters = new BpeTokenizer(vocab, List.<String[]>of(new String[] {"a", "b"}), List.of(), false);
        assertArrayEquals(new int[] {26, 2}, letters.encode("abc"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> letters.encode("ab!"));
        assertTrue(e.getMessage().contains("byte 0x21 of the word \"!\""), e.getMessage());
    }

    @Test
    void constructorRejectsInconsistentParts() {
        Map<Integer, String> vocab = new LinkedHashMap<>(Map.of(0, "a", 1, "b", 2, "ab"));
        assertThrows(IllegalArgumentException.class, // "ba" is not a token
                () -> new BpeTokenizer(vocab, List.<String[]>of(new String[] {"b", "a"}), List.of(), false));
        Map<Integer, String> gap = new LinkedHashMap<>(Map.of(0, "a", 2, "b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BpeTokenizer(gap, List.of(), List.of(), false));
        assertTrue(e.getMessage().contains("no token has id 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new BpeTokenizer(vocab, List.of(), List.of(new AddedToken(1, "<s>", true)), false));
    }

    @Test
    void ignoreMergesTakesWholeWordsFromTheVocabulary() {
        // "abc" is a token but the merges cannot build it (only "a b" and "b c", which compete).
        Map<Integer, String> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(b, String.valueOf(ByteAlphabet.charOf(b)));
        }
        vocab.put(256, "ab");
        vocab.put(257, "bc");
        vocab.put(258, "abc");
        List<String[]> merges = List.of(new String[] {"a", "b"}, new String[] {"b", "c"});
        BpeTokenizer plain = new BpeTokenizer(vocab, merges, List.of(), false);
        BpeTokenizer whole = new BpeTokenizer(vocab, merges, List.of(), true);
        assertArrayEquals(new int[] {256, plain.encode("c")[0]}, plain.encode("abc"));
        assertArrayEquals(new int[] {258}, whole.encode("abc"));
    }

    @Test
    void batchEncodingEqualsOneByOne() {
        SplittableRandom rng = new SplittableRandom(8);
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            docs.add(TokenizeFixtures.randomText(rng, 200, true));
        }
        for (int threads : new int[] {1, 2, 3}) {
            int[][] batch = trained.encodeBatch(docs, threads);
            for (int i = 0; i < docs.size(); i++) {
                assertArrayEquals(trained.encode(docs.get(i)), batch[i], "doc " + i + ", " + threads + " threads");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> trained.encodeBatch(docs, 0));
    }

    @Test
    void aTokenizerNoLongerUsedCanBeCollected() throws InterruptedException {
        // Its per-thread word caches must not keep it reachable from the threads that encoded with it.
        java.lang.ref.WeakReference<BpeTokenizer> ref = encodeOnceAndDrop();
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(null, ref.get(), "the tokenizer is still reachable");
    }

    private static java.lang.ref.WeakReference<BpeTokenizer> encodeOnceAndDrop() {
        BpeTokenizer tok = new BpeTrainer(300, 0, List.of()).add("the kiln, the kiln").train();
        tok.encode("the kiln");
        tok.encodeBatch(List.of("a kiln", "two kilns"), 2);
        return new java.lang.ref.WeakReference<>(tok);
    }

    @Test
    void theWordCacheGivesTheSameIdsWhenFullAndCleared() {
        // Far more distinct words than a cache holds before starting over.
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300_000; i++) {
            sb.append(' ').append(Integer.toString(i, 36));
        }
        String text = sb.toString();
        int[] first = trained.encode(text);
        assertArrayEquals(first, trained.encode(text));
        assertEquals(text, trained.decode(first));
    }
}
