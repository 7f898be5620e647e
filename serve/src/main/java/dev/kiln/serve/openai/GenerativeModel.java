package dev.kiln.serve.openai;

import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.nn.generate.Completion;
import dev.kiln.nn.generate.DecodeModel;
import dev.kiln.nn.generate.DecodeScheduler;
import dev.kiln.nn.generate.GptDecodeModel;
import dev.kiln.nn.generate.SamplingParams;
import dev.kiln.nn.generate.TokenListener;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.InputChecks;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@code kiln train gpt} language model served for text generation: its tokenizer and a
 * {@link DecodeScheduler} decoding continuously on its own thread, so that the sequences of all
 * requests share one running batch, joining and leaving it between steps, each with its own KV
 * cache. At most {@code maxRunning} sequences decode together and {@code maxWaiting} requests wait
 * to join; a request beyond that is refused with a 429 {@link ServeException}.
 *
 * <p>The OpenAI routes ({@link OpenAiRoutes}) use {@link #submit}. As a {@link ServedModel} it also
 * answers KServe v2 infer: BYTES input {@code text} [N] of prompts, BYTES output {@code text} [N] of
 * their greedy continuations of {@value #KSERVE_MAX_TOKENS} tokens (OpenAI's default length).
 *
 * <p>Thread-safety: every method may be called from any thread. {@link #close} stops the decode
 * thread and fails what is still running or waiting.
 */
public final class GenerativeModel implements ServedModel, AutoCloseable {
    /** New tokens of a KServe v2 infer answer. */
    public static final int KSERVE_MAX_TOKENS = 16;
    private static final TensorSpec TEXT = new TensorSpec("text", "BYTES", new long[] {-1});

    private final CountingModel model;
    private final TextTokenizer tokenizer;
    private final DecodeScheduler scheduler;
    private final int maxRunning;
    private final int maxWaiting;

    /**
     * Serves {@code model} with {@code tokenizer}.
     *
     * @throws IllegalArgumentException when the tokenizer has more ids than the model's vocabulary,
     *     or a bound is below 1
     */
    public GenerativeModel(DecodeModel model, TextTokenizer tokenizer, int maxRunning, int maxWaiting) {
        if (model == null || tokenizer == null) {
            throw new IllegalArgumentException("GenerativeModel: model and tokenizer must not be null");
        }
        if (tokenizer.size() > model.vocabSize()) {
            throw new IllegalArgumentException("GenerativeModel: the tokenizer has " + tokenizer.size()
                    + " ids but the model's vocabulary only " + model.vocabSize());
        }
        this.model = new CountingModel(model);
        this.tokenizer = tokenizer;
        this.maxRunning = maxRunning;
        this.maxWaiting = maxWaiting;
        this.scheduler = new DecodeScheduler(this.model, maxRunning, maxWaiting);
    }

    /** A {@link Gpt} (loaded, in eval mode) with the default limits. */
    public static GenerativeModel of(Gpt gpt, TextTokenizer tokenizer) {
        return of(gpt, tokenizer, GenerationLimits.DEFAULT);
    }

    /** A {@link Gpt} (loaded, in eval mode) with {@code limits}. */
    public static GenerativeModel of(Gpt gpt, TextTokenizer tokenizer, GenerationLimits limits) {
        return new GenerativeModel(new GptDecodeModel(gpt), tokenizer, limits.maxRunning(), limits.maxWaiting());
    }

    /** The token ids of {@code text}. */
    public long[] encode(String text) {
        return tokenizer.encode(text);
    }

    /** The text of {@code ids}. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids);
    }

    /**
     * Whether the text of tokens is the concatenation of each token's text (a character vocabulary),
     * so that a prefix of the tokens always decodes to a prefix of the text; byte-level BPE may split
     * a character over tokens.
     */
    public boolean decodesPerToken() {
        return tokenizer instanceof TextTokenizer.Chars;
    }

    /** Positions a sequence may hold, prompt and completion together. */
    public int maxContext() {
        return model.maxSeqLen();
    }

    /** The most sequences decoded together, and so the most samples ({@code n}) one prompt may ask for. */
    public int maxRunning() {
        return maxRunning;
    }

    /**
     * Queues the completion of {@code prompt} (at least one token, fewer than {@link #maxContext()}).
     * Stop strings are matched on the decoded text; the choices carry their text.
     *
     * @param listener hears each token as it is decoded, on the decode thread (it must be quick), or null
     * @throws ServeException 429 when {@code maxWaiting} requests are waiting already, 503 once closed
     */
    public CompletableFuture<Completion> submit(long[] prompt, SamplingParams params, TokenListener listener) {
        try {
            return scheduler.submit(prompt, params, listener, tokenizer::decode);
        } catch (RejectedExecutionException e) {
            if (scheduler.isClosed()) {
                throw new ServeException(503, "model is shutting down");
            }
            throw new ServeException(429, "model: too many requests waiting to generate (" + scheduler.queuedSequences()
                    + " sequences queued behind " + scheduler.runningSequences() + " running); retry later");
        }
    }

    /** Sequences decoding now. */
    public int runningSequences() {
        return scheduler.runningSequences();
    }

    /** Sequences waiting to join the batch. */
    public int waitingSequences() {
        return scheduler.queuedSequences();
    }

    /** KV caches not yet freed: the running sequences' (0 once every sequence has left). */
    public int openCaches() {
        return model.openCaches.get();
    }

    /** Batched decode steps so far: with continuous batching, fewer than the tokens decoded. */
    public long steps() {
        return scheduler.steps();
    }

    /** Tokens decoded so far, all requests together (one per logits row). */
    public long generatedTokens() {
        return model.tokens.get();
    }

    @Override
    public String app() {
        return "gpt";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(TEXT);
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(TEXT);
    }

    @Override
    public Map<String, Object> parameters() {
        return Map.of("max_context", maxContext(), "vocab_size", model.vocabSize(), "tokenizer", tokenizer.unit(),
                "decoding", "greedy, " + KSERVE_MAX_TOKENS + " new tokens unless parameters max_tokens, temperature, top_p, seed, stop say otherwise", "max_running_sequences", maxRunning,
                "max_waiting_requests", maxWaiting);
    }

    /**
     * {@link #prepare(List)}, decoding as the request's KServe {@code parameters} say:
     * {@code max_tokens} (integer ≥ 1, default {@value #KSERVE_MAX_TOKENS}), {@code temperature}
     * (0 to 2, default 0: greedy), {@code top_p} (in (0, 1], default 1), {@code seed} (an integer;
     * the same seed gives the same text) and {@code stop} (a string or up to 4). Other parameters
     * are ignored, as the protocol leaves them to the server.
     *
     * @throws ServeException 400 naming {@code parameters.FIELD} when a value is of the wrong type or out of range
     */
    @Override
    public Examples prepare(List<InferTensor> inputs, Map<String, Object> parameters) {
        Examples rows = prepare(inputs);
        if (parameters == null || parameters.isEmpty()) {
            return rows;
        }
        int maxTokens = (int) integer(parameters, "max_tokens", KSERVE_MAX_TOKENS, 1, Integer.MAX_VALUE);
        double temperature = number(parameters, "temperature", 0, 0, 2, true);
        double topP = number(parameters, "top_p", 1, 0, 1, false);
        Long seed = parameters.containsKey("seed") ? integer(parameters, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null;
        List<String> stops = new ArrayList<>();
        Object stop = parameters.get("stop");
        if (stop instanceof String one && !one.isEmpty()) {
            stops.add(one);
        } else if (stop instanceof List<?> many && many.size() <= 4 && !many.isEmpty()
                && many.stream().allMatch(x -> x instanceof String str && !str.isEmpty())) {
            many.forEach(x -> stops.add((String) x));
        } else if (stop != null) {
            throw ServeException.badRequest("parameters.stop: expected a non-empty string or an array of 1 to 4 of them, got "
                    + stop);
        }
        return rows.withOptions(new SamplingParams(maxTokens, temperature, topP, 1, seed, List.of(), stops));
    }

    private static long integer(Map<String, Object> parameters, String key, long fallback, long lo, long hi) {
        Object v = parameters.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < lo || ((Number) v).longValue() > hi) {
            throw ServeException.badRequest("parameters." + key + ": expected an integer in [" + lo + ", " + hi + "], got " + v);
        }
        return ((Number) v).longValue();
    }

    private static double number(Map<String, Object> parameters, String key, double fallback, double lo, double hi,
                                 boolean closedLow) {
        Object v = parameters.get(key);
        if (v == null) {
            return fallback;
        }
        double x = v instanceof Number n && !(v instanceof java.math.BigInteger) ? n.doubleValue() : Double.NaN;
        if (!(closedLow ? x >= lo : x > lo) || !(x <= hi)) {
            throw ServeException.badRequest("parameters." + key + ": expected a number in " + (closedLow ? "[" : "(") + lo + ", "
                    + hi + "], got " + v);
        }
        return x;
    }

    @Override
    public Examples prepare(List<InferTensor> inputs) {
        InferTensor t = InputChecks.single(inputs, TEXT);
        int n = InputChecks.batchSize(t, TEXT.shape());
        for (int r = 0; r < n; r++) {
            int tokens = encode(t.strings().get(r)).length;
            if (tokens < 1 || tokens >= maxContext()) {
                throw ServeException.badRequest(t.field() + ".data[" + r + "]: expected a prompt of 1 to " + (maxContext() - 1)
                        + " tokens (max context " + maxContext() + "), got " + tokens);
            }
        }
        return Examples.ofText(t.strings());
    }

    @Override
    public List<List<OutputTensor>> run(List<Examples> batch) {
        List<CompletableFuture<Completion>> pending = new ArrayList<>();
        for (Examples e : batch) {
            for (String prompt : e.text()) {
                SamplingParams params = e.options() instanceof SamplingParams p ? p : SamplingParams.greedy(KSERVE_MAX_TOKENS);
                pending.add(submit(encode(prompt), params, null));
            }
        }
        List<List<OutputTensor>> answers = new ArrayList<>(batch.size());
        int at = 0;
        for (Examples e : batch) {
            List<String> texts = new ArrayList<>(e.rows());
            for (int r = 0; r < e.rows(); r++) {
                texts.add(await(pending.get(at++)).choices().getFirst().text());
            }
            answers.add(List.of(OutputTensor.bytes("text", texts, e.rows())));
        }
        return answers;
    }

    private static Completion await(CompletableFuture<Completion> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(503, "interrupted while generating");
        } catch (ExecutionException e) {
            throw new IllegalStateException("generation failed: " + e.getCause(), e.getCause());
        }
    }

    /** Stops the decode thread; running and waiting requests fail. */
    @Override
    public void close() {
        scheduler.close();
    }

    /**
     * The model as the scheduler sees it, counting the caches it holds and the tokens it decodes,
     * so that the server can show (and tests can check) that an abandoned sequence frees its cache.
     */
    private static final class CountingModel implements DecodeModel {
        final DecodeModel inner;
        final AtomicInteger openCaches = new AtomicInteger();
        final AtomicLong tokens = new AtomicLong();

        CountingModel(DecodeModel inner) {
            this.inner = inner;
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public int maxSeqLen() {
            return inner.maxSeqLen();
        }

        @Override
        public SequenceCache newCache() {
            SequenceCache c = inner.newCache();
            openCaches.incrementAndGet();
            return new Counted(c);
        }

        @Override
        public float[] prefill(SequenceCache cache, long[] prompt) {
            float[] logits = inner.prefill(((Counted) cache).inner, prompt);
            tokens.incrementAndGet();
            return logits;
        }

        @Override
        public float[] step(List<SequenceCache> caches, long[] next) {
            List<SequenceCache> own = new ArrayList<>(caches.size());
            for (SequenceCache c : caches) {
                own.add(((Counted) c).inner);
            }
            float[] logits = inner.step(own, next);
            tokens.addAndGet(next.length);
            return logits;
        }

        private final class Counted implements SequenceCache {
            final SequenceCache inner;
            boolean closed;

            Counted(SequenceCache inner) {
                this.inner = inner;
            }

            @Override
            public int length() {
                return inner.length();
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    inner.close();
                    openCaches.decrementAndGet();
                }
            }
        }
    }
}
