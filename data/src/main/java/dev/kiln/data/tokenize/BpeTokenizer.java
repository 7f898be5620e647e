package dev.kiln.data.tokenize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A GPT-2-style byte-level BPE tokenizer: text is UTF-8 encoded, cut into words by {@link
 * Gpt2PreTokenizer}, each word's bytes start as one token per byte (the 256 byte tokens are
 * spelled with {@link ByteAlphabet}'s characters) and merges are applied by rank. Added tokens
 * (e.g. {@code <|endoftext|>}) are matched in the raw text first and never split.
 *
 * <p>{@link #encode} then {@link #decode} gives back any string whose surrogates are paired (an
 * unpaired surrogate is encoded as U+FFFD, as UTF-8 has no form for it). {@link #decode} turns ids
 * whose bytes are not valid UTF-8 into U+FFFD, one per maximal invalid subsequence (as Hugging
 * Face's {@code from_utf8_lossy} does).
 *
 * <p>Vocabulary ids are {@code 0 .. vocabSize()-1}. Instances are immutable apart from an internal
 * cache of encoded words, and safe to use from several threads. Built by {@link BpeTrainer}, or read
 * with {@link #load} from a Hugging Face {@code tokenizer.json}.
 */
public final class BpeTokenizer {
    /** Words longer than this (in chars) are not cached: they are rare, and would bloat the cache. */
    private static final int MAX_CACHED_WORD = 64;
    /** Each thread's word cache starts over when it holds this many words (a bound on its memory). */
    private static final int MAX_CACHE_ENTRIES = 1 << 17;
    private static final int[] NO_IDS = new int[0];

    private final String[] tokens; // by id: byte-level spelling for model tokens, content for added ones
    private final boolean[] inModelVocab;
    private final Map<String, Integer> idsByModelToken;
    private final String[][] merges; // by rank: {left, right}
    private final PairRanks ranks;
    private final int[] byteIds; // byte value -> id of its single-byte token, -1 if none
    private final List<AddedToken> addedTokens;
    private final byte[][] bytesById;
    private final boolean ignoreMerges;
    /** Each thread keeps its own encoder (scratch buffers and word cache), so encoding takes no lock. */
    private final ThreadLocal<Encoder> encoders = ThreadLocal.withInitial(Encoder::new);
    /**
     * Worker threads of {@link #encodeBatch}, kept between calls so that their word caches stay
     * warm; daemon threads, each ending after a minute idle (so an unused tokenizer holds none).
     */
    private volatile ExecutorService workers;

    /**
     * A tokenizer from its parts.
     *
     * @param modelVocab the BPE model's tokens in byte-level spelling, keyed by id; ids need not
     *     cover every id (added tokens may live outside it) but together with {@code addedTokens}
     *     they must cover {@code 0 .. n-1} exactly
     * @param merges the merges by rank, each {@code {left, right}}; both and their concatenation must
     *     be in {@code modelVocab}
     * @param addedTokens tokens matched in raw text before pre-tokenization; an added token whose id
     *     is also in {@code modelVocab} must have the same spelling there
     * @param ignoreMerges Hugging Face's {@code ignore_merges}: a word that is itself in the vocabulary
     *     becomes that one token without merging
     * @throws IllegalArgumentException naming the offending token, id or merge
     */
    public BpeTokenizer(Map<Integer, String> modelVocab, List<String[]> merges, List<AddedToken> addedTokens,
                        boolean ignoreMerges) {
        int size = 0;
        for (int id : modelVocab.keySet()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : addedTokens) {
            size = Math.max(size, t.id() + 1);
        }
        tokens = new String[size];
        inModelVocab = new boolean[size];
        idsByModelToken = new HashMap<>();
        for (Map.Entry<Integer, String> e : modelVocab.entrySet()) {
            int id = e.getKey();
            String token = e.getValue();
            if (id < 0) {
                throw new IllegalArgumentException("BpeTokenizer: token \"" + token + "\" has a negative id " + id);
            }
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("BpeTokenizer: id " + id + " has an empty token");
            }
            Integer other = idsByModelToken.put(token, id);
            if (other != null) {
                throw new IllegalArgumentException("BpeTokenizer: token \"" + token + "\" has two ids, " + other + " and " + id);
            }
            tokens[id] = token;
            inModelVocab[id] = true;
        }
        Map<String, Integer> addedByContent = new HashMap<>();
        for (AddedToken t : addedTokens) {
            if (tokens[t.id()] != null && !tokens[t.id()].equals(t.content())) {
                throw new IllegalArgumentException("BpeTokenizer: added token \"" + t.content() + "\" has id " + t.id()
                        + ", which the vocabulary gives to \"" + tokens[t.id()] + "\"");
            }
            Integer other = addedByContent.put(t.content(), t.id());
            if (other != null && other != t.id()) {
                throw new IllegalArgumentException("BpeTokenizer: added token \"" + t.content() + "\" has two ids, "
                        + other + " and " + t.id());
            }
            tokens[t.id()] = t.content();
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) {
                throw new IllegalArgumentException("BpeTokenizer: ids must be 0.." + (size - 1)
                        + " without gaps, but no token has id " + id);
            }
        }
        this.addedTokens = List.copyOf(addedTokens);
        this.ignoreMerges = ignoreMerges;

        byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = idsByModelToken.get(String.valueOf(ByteAlphabet.charOf(b)));
            byteIds[b] = id == null ? -1 : id;
        }

        this.merges = new String[merges.size()][];
        int[] left = new int[merges.size()];
        int[] right = new int[merges.size()];
        int[] result = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            String[] m = merges.get(r);
            if (m == null || m.length != 2) {
                throw new IllegalArgumentException("BpeTokenizer: merge " + r + " must be a pair of tokens, got "
                        + (m == null ? "null" : Arrays.toString(m)));
            }
            left[r] = modelId(m[0], "merge " + r + " (" + m[0] + " " + m[1] + ")");
            right[r] = modelId(m[1], "merge " + r + " (" + m[0] + " " + m[1] + ")");
            result[r] = modelId(m[0] + m[1], "the result of merge " + r + " (" + m[0] + " " + m[1] + ")");
            this.merges[r] = new String[] {m[0], m[1]};
        }
        ranks = new PairRanks(left, right, result);

        bytesById = new byte[size][];
        for (int id = 0; id < size; id++) {
            byte[] bytes = inModelVocab[id] && addedByContent.get(tokens[id]) == null ? ByteAlphabet.decode(tokens[id]) : null;
            // An added token, or a model token that is not byte-level spelled, decodes to its own
            // UTF-8 (Hugging Face's ByteLevel decoder does the same for tokens it cannot map).
            bytesById[id] = bytes != null ? bytes : tokens[id].getBytes(StandardCharsets.UTF_8);
        }
    }

    private int modelId(String token, String where) {
        Integer id = idsByModelToken.get(token);
        if (id == null) {
            throw new IllegalArgumentException("BpeTokenizer: " + where + ": token \"" + token + "\" is not in the vocabulary");
        }
        return id;
    }

    /** Reads a Hugging Face {@code tokenizer.json} (see {@link TokenizerJson#read}). */
    public static BpeTokenizer load(Path file) throws IOException {
        return TokenizerJson.read(file);
    }

    /** Writes this tokenizer as a Hugging Face {@code tokenizer.json}, atomically (see {@link TokenizerJson#write}). */
    public void save(Path file) throws IOException {
        TokenizerJson.write(this, file);
    }

    /** Number of ids, added tokens included. */
    public int vocabSize() {
        return tokens.length;
    }

    /** The token with id {@code id}: byte-level spelling ({@code Ġthe}), or an added token's content. */
    public String token(int id) {
        checkId(id, -1, "token");
        return tokens[id];
    }

    /** The id of a model token (byte-level spelling) or added token. */
    public OptionalInt id(String token) {
        Integer id = idsByModelToken.get(token);
        if (id != null) {
            return OptionalInt.of(id);
        }
        for (AddedToken t : addedTokens) {
            if (t.content().equals(token)) {
                return OptionalInt.of(t.id());
            }
        }
        return OptionalInt.empty();
    }

    /** The added tokens (special ones and others), in the order they were given. */
    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    /** The merges by rank, each {@code {left, right}} in byte-level spelling. */
    public List<String[]> merges() {
        List<String[]> out = new ArrayList<>(merges.length);
        for (String[] m : merges) {
            out.add(m.clone());
        }
        return out;
    }

    /** The BPE model's own vocabulary (id to byte-level spelling), in id order. */
    public Map<Integer, String> modelVocab() {
        Map<Integer, String> out = new java.util.LinkedHashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            if (inModelVocab[id]) {
                out.put(id, tokens[id]);
            }
        }
        return out;
    }

    /** Whether a word that is itself a vocabulary token skips merging (Hugging Face {@code ignore_merges}). */
    public boolean ignoresMerges() {
        return ignoreMerges;
    }

    /**
     * The ids of {@code text}.
     *
     * @throws IllegalArgumentException when the text has a byte whose single-byte token is missing
     *     from the vocabulary (only possible with a loaded vocabulary that lacks some of the 256)
     */
    public int[] encode(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        Encoder enc = encoders.get();
        if (addedTokens.isEmpty()) {
            enc.encodeOrdinary(this, text, 0, text.length(), out);
            return out.toArray();
        }
        AddedTokenMatcher matcher = new AddedTokenMatcher(addedTokens, text);
        int pos = 0;
        while (pos < text.length()) {
            if (!matcher.find(pos)) {
                enc.encodeOrdinary(this, text, pos, text.length(), out);
                break;
            }
            enc.encodeOrdinary(this, text, pos, matcher.matchStart, out);
            out.add(matcher.matchId);
            pos = matcher.matchEnd;
        }
        return out.toArray();
    }

    /**
     * Encodes many texts on {@code threads} threads (1: on the calling thread); result {@code i} is
     * {@code encode(texts.get(i))}.
     */
    public int[][] encodeBatch(List<String> texts, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("encodeBatch: threads must be >= 1, got " + threads);
        }
        int[][] out = new int[texts.size()][];
        if (threads == 1 || texts.size() < 2) {
            for (int i = 0; i < out.length; i++) {
                out[i] = encode(texts.get(i));
            }
            return out;
        }
        // Texts are claimed one at a time, so one long document does not leave the other threads idle.
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> jobs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            jobs.add(workers().submit(() -> {
                for (int i = next.getAndIncrement(); i < out.length; i = next.getAndIncrement()) {
                    out[i] = encode(texts.get(i));
                }
            }));
        }
        for (Future<?> job : jobs) {
            try {
                job.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("encodeBatch: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                jobs.forEach(j -> j.cancel(true));
                Thread.currentThread().interrupt();
                throw new IllegalStateException("encodeBatch: interrupted", e);
            }
        }
        return out;
    }

    private ExecutorService workers() {
        ExecutorService w = workers;
        if (w == null) {
            synchronized (this) {
                w = workers;
                if (w == null) {
                    AtomicInteger count = new AtomicInteger();
                    w = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                        Thread t = new Thread(r, "kiln-bpe-encode-" + count.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
                    workers = w;
                }
            }
        }
        return w;
    }

    /**
     * The text of {@code ids}: their bytes concatenated and decoded as UTF-8, each maximal invalid
     * byte sequence replaced by U+FFFD.
     *
     * @throws IllegalArgumentException naming the first id outside {@code 0 .. vocabSize()-1} and its position
     */
    public String decode(int[] ids) {
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i], i, "decode");
            n += bytesById[ids[i]].length;
        }
        byte[] buf = new byte[n];
        int p = 0;
        for (int id : ids) {
            byte[] b = bytesById[id];
            System.arraycopy(b, 0, buf, p, b.length);
            p += b.length;
        }
        return Utf8.decodeLossy(buf, buf.length);
    }

    /** The raw bytes that token {@code id} stands for. */
    public byte[] tokenBytes(int id) {
        checkId(id, -1, "tokenBytes");
        return bytesById[id].clone();
    }

    private void checkId(int id, int position, String op) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException(op + ": id " + id + (position >= 0 ? " at position " + position : "")
                    + " is out of range: the vocabulary has ids 0.." + (tokens.length - 1));
        }
    }

    /**
     * Per-thread scratch space and word cache. Static, and given the tokenizer per call: a
     * thread-local value that referred to its tokenizer would keep the tokenizer (and its cache)
     * alive as long as the thread.
     */
    private static final class Encoder {
        private final WordCache cache = new WordCache(MAX_CACHE_ENTRIES);
        private byte[] bytes = new byte[64];
        private int[] symbols = new int[64];

        void encodeOrdinary(BpeTokenizer tok, String text, int from, int to, IntList out) {
            for (int p = from; p < to; ) {
                int e = Gpt2PreTokenizer.wordEnd(text, p, to);
                if (e - p <= MAX_CACHED_WORD) {
                    int h = WordCache.hash(text, p, e);
                    int[] ids = cache.get(text, p, e, h);
                    if (ids == null) {
                        ids = encodeWord(tok, text, p, e);
                        cache.put(text, p, e, h, ids);
                    }
                    out.addAll(ids);
                } else {
                    out.addAll(encodeWord(tok, text, p, e));
                }
                p = e;
            }
        }

        private int[] encodeWord(BpeTokenizer tok, String text, int from, int to) {
            int nBytes = utf8(text, from, to);
            if (symbols.length < nBytes) {
                symbols = new int[Math.max(nBytes, symbols.length * 2)];
            }
            if (tok.ignoreMerges) {
                Integer whole = tok.idsByModelToken.get(ByteAlphabet.encode(bytes, 0, nBytes));
                if (whole != null) {
                    return new int[] {whole};
                }
            }
            for (int i = 0; i < nBytes; i++) {
                int id = tok.byteIds[bytes[i] & 0xFF];
                if (id < 0) {
                    throw new IllegalArgumentException(String.format(
                            "encode: byte 0x%02x of the word \"%s\" has no token (\"%c\") in this vocabulary",
                            bytes[i] & 0xFF, text.substring(from, to), ByteAlphabet.charOf(bytes[i])));
                }
                symbols[i] = id;
            }
            int n = MergeLoop.merge(symbols, nBytes, tok.ranks);
            return n == 0 ? NO_IDS : Arrays.copyOf(symbols, n);
        }

        /** UTF-8 of text[from, to) into {@code bytes}; returns the byte count. */
        private int utf8(String text, int from, int to) {
            int max = 3 * (to - from); // a char never takes more than 3 bytes (a pair takes 4 for 2 chars)
            if (bytes.length < max) {
                bytes = new byte[Math.max(max, bytes.length * 2)];
            }
            byte[] b = bytes;
            int n = 0;
            for (int i = from; i < to; i++) {
                char c = text.charAt(i);
                if (c < 0x80) {
                    b[n++] = (byte) c;
                } else if (c < 0x800) {
                    b[n++] = (byte) (0xC0 | (c >> 6));
                    b[n++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, text.charAt(++i));
                    b[n++] = (byte) (0xF0 | (cp >> 18));
                    b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    if (Character.isSurrogate(c)) {
                        c = '\uFFFD'; // unpaired: UTF-8 cannot encode it
                    }
                    b[n++] = (byte) (0xE0 | (c >> 12));
                    b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return n;
        }
    }

    /** A growable int array. */
    static final class IntList {
        private int[] items;
        private int size;

        IntList(int capacity) {
            items = new int[Math.max(1, capacity)];
        }

        void add(int v) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > items.length) {
                items = Arrays.copyOf(items, Math.max(size + vs.length, items.length * 2));
            }
            System.arraycopy(vs, 0, items, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(items, size);
        }
    }
}
