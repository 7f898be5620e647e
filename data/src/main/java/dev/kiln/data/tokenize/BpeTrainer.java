package dev.kiln.data.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns a byte-level BPE vocabulary from text. Texts are fed one at a time ({@link #add}); only
 * the count of each distinct pre-tokenized word is kept, so the corpus itself need not fit in
 * memory. {@link #train} then starts from one token per byte and repeatedly merges the most
 * frequent adjacent pair, updating the pair counts of just the words that contain the merged pair
 * (with a heap of pairs whose stale entries are refreshed when they reach the top), so each merge
 * costs time in proportion to the words it touches rather than to the corpus.
 *
 * <p>Ids: the special tokens first (0, 1, ... in the order given), then the 256 byte tokens
 * ordered by their {@link ByteAlphabet} character (so {@code !} comes first, as in GPT-2), then one
 * id per merge in the order learned. Ties between equally frequent pairs go to the pair whose
 * (left id, right id) is smallest, comparing left ids first: that is what Hugging Face's {@code
 * BpeTrainer} does, and with the same word counts the two produce the same merges (the tests check
 * it). Training stops when the vocabulary reaches {@code vocabSize}, or when the best pair occurs
 * fewer than {@code minFrequency} times (or not at all).
 *
 * <p>One difference from Hugging Face: special tokens in the training text are cut out and not
 * counted (Hugging Face's trainer pre-tokenizes them like ordinary text, e.g. {@code <|}
 * {@code endoftext} {@code |>}). A merge whose result spells an existing token reuses that token's
 * id, as Hugging Face does. Not thread-safe.
 */
public final class BpeTrainer {
    private final int vocabSize;
    private final long minFrequency;
    private final List<String> specialTokens;
    private final List<AddedToken> specialAdded;
    private final HashMap<String, long[]> wordCounts = new HashMap<>();

    /**
     * @param vocabSize the target number of ids, special tokens and the 256 byte tokens included
     *     (a smaller value learns no merges)
     * @param minFrequency a pair occurring fewer times is never merged (0 or 1: no limit)
     * @param specialTokens tokens matched whole and never split, given the first ids
     */
    public BpeTrainer(int vocabSize, long minFrequency, List<String> specialTokens) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("BpeTrainer: vocabSize must be >= 1, got " + vocabSize);
        }
        if (minFrequency < 0) {
            throw new IllegalArgumentException("BpeTrainer: minFrequency must be >= 0, got " + minFrequency);
        }
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < specialTokens.size(); i++) {
            String s = specialTokens.get(i);
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("BpeTrainer: special token " + i + " is empty");
            }
            if (specialTokens.indexOf(s) != i) {
                throw new IllegalArgumentException("BpeTrainer: special token \"" + s + "\" is given twice");
            }
            added.add(new AddedToken(i, s, true));
        }
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.specialTokens = List.copyOf(specialTokens);
        this.specialAdded = List.copyOf(added);
    }

    /** Counts the words of {@code text} (special tokens in it are skipped). */
    public BpeTrainer add(String text) {
        if (specialAdded.isEmpty()) {
            countWords(text, 0, text.length());
            return this;
        }
        AddedTokenMatcher matcher = new AddedTokenMatcher(specialAdded, text);
        int pos = 0;
        while (pos < text.length()) {
            if (!matcher.find(pos)) {
                countWords(text, pos, text.length());
                break;
            }
            countWords(text, pos, matcher.matchStart);
            pos = matcher.matchEnd;
        }
        return this;
    }

    /** Counts the words of every text. */
    public BpeTrainer addAll(Iterable<String> texts) {
        for (String t : texts) {
            add(t);
        }
        return this;
    }

    /** Number of distinct words counted so far. */
    public int distinctWords() {
        return wordCounts.size();
    }

    private void countWords(String text, int from, int to) {
        for (int p = from; p < to; ) {
            int e = Gpt2PreTokenizer.wordEnd(text, p, to);
            wordCounts.computeIfAbsent(text.substring(p, e), k -> new long[1])[0]++;
            p = e;
        }
    }

    /** Learns the merges from the words counted so far. */
    public BpeTokenizer train() {
        List<String> vocab = new ArrayList<>(specialTokens);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        char[] alphabet = new char[256];
        for (int b = 0; b < 256; b++) {
            alphabet[b] = ByteAlphabet.charOf(b);
        }
        Arrays.sort(alphabet);
        for (char c : alphabet) {
            ids.computeIfAbsent(String.valueOf(c), s -> {
                vocab.add(s);
                return vocab.size() - 1;
            });
        }
        int[] byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            byteIds[b] = ids.get(String.valueOf(ByteAlphabet.charOf(b)));
        }

        Words words = new Words(wordCounts, byteIds);
        PairStats pairs = new PairStats();
        for (int w = 0; w < words.count.length; w++) {
            int[] s = words.symbols[w];
            for (int i = 0; i + 1 < words.length[w]; i++) {
                pairs.add(s[i], s[i + 1], words.count[w], w);
            }
        }
        PairHeap heap = new PairHeap(pairs);
        for (int p = 0; p < pairs.size; p++) {
            if (pairs.count[p] > 0) {
                heap.push(pairs.count[p], p);
            }
        }

        List<String[]> merges = new ArrayList<>();
        IntList changed = new IntList();
        while (vocab.size() < vocabSize && !heap.isEmpty()) {
            long stored = heap.topCount();
            int p = heap.pop();
            long current = pairs.count[p];
            if (stored != current) { // stale: counts only fall, so re-queue it at its true count
                if (current > 0) {
                    heap.push(current, p);
                }
                continue;
            }
            if (current < 1 || current < minFrequency) {
                break;
            }
            int left = pairs.left[p];
            int right = pairs.right[p];
            String merged = vocab.get(left) + vocab.get(right);
            Integer existing = ids.get(merged);
            int newId;
            if (existing != null) {
                newId = existing;
            } else {
                vocab.add(merged);
                newId = vocab.size() - 1;
                ids.put(merged, newId);
            }
            merges.add(new String[] {vocab.get(left), vocab.get(right)});

            changed.clear();
            int[] where = pairs.words[p];
            int whereCount = pairs.wordCount[p];
            for (int k = 0; k < whereCount; k++) {
                words.merge(where[k], left, right, newId, pairs, changed);
            }
            for (int k = 0; k < changed.size; k++) {
                int q = changed.items[k];
                pairs.queued[q] = false;
                if (pairs.count[q] > 0) {
                    heap.push(pairs.count[q], q);
                }
            }
        }

        Map<Integer, String> modelVocab = new LinkedHashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            modelVocab.put(i, vocab.get(i));
        }
        return new BpeTokenizer(modelVocab, merges, specialAdded, false);
    }

    /** The distinct words as symbol arrays (compacted in place by merges) with their counts. */
    private static final class Words {
        final int[][] symbols;
        final int[] length;
        final long[] count;

        Words(Map<String, long[]> counts, int[] byteIds) {
            int n = counts.size();
            symbols = new int[n][];
            length = new int[n];
            count = new long[n];
            int w = 0;
            for (Map.Entry<String, long[]> e : counts.entrySet()) {
                byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
                int[] s = new int[bytes.length];
                for (int i = 0; i < bytes.length; i++) {
                    s[i] = byteIds[bytes[i] & 0xFF];
                }
                symbols[w] = s;
                length[w] = s.length;
                count[w] = e.getValue()[0];
                w++;
            }
        }

        /**
         * Replaces every non-overlapping (left, right), left to right, in word {@code w} by {@code
         * merged}, and moves the counts of the neighbouring pairs: (prev, left) and (right, next)
         * lose this word's count, (prev, merged) and (merged, next) gain it. Pairs that gained are
         * added to {@code changed} (once each) for re-queueing.
         */
        void merge(int w, int left, int right, int merged, PairStats pairs, IntList changed) {
            int[] s = symbols[w];
            int n = length[w];
            long c = count[w];
            int out = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && s[i] == left && s[i + 1] == right) {
                    pairs.addCount(left, right, -c);
                    if (out > 0) {
                        int prev = s[out - 1];
                        pairs.addCount(prev, left, -c);
                        pairs.addChanged(pairs.add(prev, merged, c, w), changed);
                    }
                    if (i + 2 < n) {
                        int next = s[i + 2];
                        pairs.addCount(right, next, -c);
                        pairs.addChanged(pairs.add(merged, next, c, w), changed);
                    }
                    s[out++] = merged;
                    i++;
                } else {
                    s[out++] = s[i];
                }
            }
            length[w] = out;
        }
    }

    /**
     * Every pair ever seen: its ids, its count over all words, and the words it was seen in (a word
     * may be listed although the pair has since left it; merging there is then a no-op).
     */
    private static final class PairStats {
        int size;
        int[] left = new int[1024];
        int[] right = new int[1024];
        long[] count = new long[1024];
        int[][] words = new int[1024][];
        int[] wordCount = new int[1024];
        boolean[] queued = new boolean[1024];
        private long[] keys = new long[4096];
        private int[] slots = new int[4096]; // pair index + 1; 0 = empty

        /** Adds {@code c} to the count of (a, b), creating the pair if new, records word {@code w}; returns its index. */
        int add(int a, int b, long c, int w) {
            int p = indexOf(a, b, true);
            count[p] += c;
            int k = wordCount[p];
            if (k == 0 || words[p][k - 1] != w) {
                if (words[p] == null) {
                    words[p] = new int[4];
                } else if (k == words[p].length) {
                    words[p] = Arrays.copyOf(words[p], k * 2);
                }
                words[p][k] = w;
                wordCount[p] = k + 1;
            }
            return p;
        }

        void addCount(int a, int b, long c) {
            count[indexOf(a, b, true)] += c;
        }

        void addChanged(int p, IntList changed) {
            if (!queued[p]) {
                queued[p] = true;
                changed.add(p);
            }
        }

        private int indexOf(int a, int b, boolean create) {
            long key = PairRanks.pack(a, b);
            int mask = keys.length - 1;
            int slot = (int) ((key * 0x9E3779B97F4A7C15L) >>> 32) & mask;
            while (slots[slot] != 0) {
                if (keys[slot] == key) {
                    return slots[slot] - 1;
                }
                slot = (slot + 1) & mask;
            }
            if (!create) {
                return -1;
            }
            if (size == left.length) {
                int cap = size * 2;
                left = Arrays.copyOf(left, cap);
                right = Arrays.copyOf(right, cap);
                count = Arrays.copyOf(count, cap);
                words = Arrays.copyOf(words, cap);
                wordCount = Arrays.copyOf(wordCount, cap);
                queued = Arrays.copyOf(queued, cap);
            }
            int p = size++;
            left[p] = a;
            right[p] = b;
            keys[slot] = key;
            slots[slot] = p + 1;
            if (size * 2 > keys.length) {
                rehash();
            }
            return p;
        }

        private void rehash() {
            long[] oldKeys = keys;
            int[] oldSlots = slots;
            keys = new long[oldKeys.length * 2];
            slots = new int[oldKeys.length * 2];
            int mask = keys.length - 1;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldSlots[i] != 0) {
                    int slot = (int) ((oldKeys[i] * 0x9E3779B97F4A7C15L) >>> 32) & mask;
                    while (slots[slot] != 0) {
                        slot = (slot + 1) & mask;
                    }
                    keys[slot] = oldKeys[i];
                    slots[slot] = oldSlots[i];
                }
            }
        }
    }

    /**
     * A binary heap of (count, pair) entries: the highest count on top, ties to the smallest
     * (left id, right id). The stored count may be stale (higher than the pair's current count).
     */
    private static final class PairHeap {
        private final PairStats pairs;
        private long[] counts = new long[1024];
        private int[] pairIds = new int[1024];
        private int size;

        PairHeap(PairStats pairs) {
            this.pairs = pairs;
        }

        boolean isEmpty() {
            return size == 0;
        }

        long topCount() {
            return counts[0];
        }

        /** True when entry (ca, pa) comes out before (cb, pb). */
        private boolean before(long ca, int pa, long cb, int pb) {
            if (ca != cb) {
                return ca > cb;
            }
            int la = pairs.left[pa];
            int lb = pairs.left[pb];
            if (la != lb) {
                return la < lb;
            }
            return pairs.right[pa] < pairs.right[pb];
        }

        void push(long c, int p) {
            if (size == counts.length) {
                counts = Arrays.copyOf(counts, size * 2);
                pairIds = Arrays.copyOf(pairIds, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!before(c, p, counts[parent], pairIds[parent])) {
                    break;
                }
                counts[i] = counts[parent];
                pairIds[i] = pairIds[parent];
                i = parent;
            }
            counts[i] = c;
            pairIds[i] = p;
        }

        int pop() {
            int top = pairIds[0];
            size--;
            long c = counts[size];
            int p = pairIds[size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && before(counts[child + 1], pairIds[child + 1], counts[child], pairIds[child])) {
                    child++;
                }
                if (!before(counts[child], pairIds[child], c, p)) {
                    break;
                }
                counts[i] = counts[child];
                pairIds[i] = pairIds[child];
                i = child;
            }
            counts[i] = c;
            pairIds[i] = p;
            return top;
        }
    }

    private static final class IntList {
        int[] items = new int[64];
        int size;

        void add(int v) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = v;
        }

        void clear() {
            size = 0;
        }
    }
}
