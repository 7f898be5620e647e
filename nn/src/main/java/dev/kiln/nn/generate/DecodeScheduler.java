package dev.kiln.nn.generate;

import dev.kiln.nn.generate.Completion.FinishReason;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Continuous batching: one decode thread keeps a running batch of sequences (each sample of each
 * request is one sequence, with its own cache and its own {@link Generator}) and advances all of
 * them by one token per {@link DecodeModel#step}. Between steps, queued requests join (their
 * prompts are prefilled, which yields their first token) as long as the batch has room, and
 * finished sequences leave and free their caches. Because the model's rows are independent and
 * every sequence draws from its own generator, a sequence's tokens are the same whether it ran
 * alone or joined a batch mid-way.
 *
 * <p>Seeds: sample {@code i} of a request draws from the {@code (i+1)}-th {@link Generator#split}
 * of {@code new Generator(seed)}, so the same seed gives the same samples; a null seed is random.
 *
 * <p>Thread-safe: {@link #submit} may be called from any number of threads; the queue is bounded
 * and a full queue is refused. Cancelling the returned future (a client that went away) drops its
 * sequences at the next step. {@link #close} stops the loop and fails what is still pending.
 */
public final class DecodeScheduler implements AutoCloseable {
    private final DecodeModel model;
    private final int maxBatchSize;
    private final LinkedBlockingQueue<Request> queue;
    private final List<Sequence> running = new ArrayList<>();
    private final Thread loop;
    private final AtomicLong steps = new AtomicLong();
    /** {@code running.size()} published for other threads (the list itself belongs to the decode thread). */
    private final AtomicInteger runningCount = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param maxBatchSize the most sequences decoded together (a request of {@code n} samples
     *     larger than this still runs, alone)
     * @param maxQueued the most requests waiting to join; more are refused
     */
    public DecodeScheduler(DecodeModel model, int maxBatchSize, int maxQueued) {
        if (model == null) {
            throw new IllegalArgumentException("DecodeScheduler: model must not be null");
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("DecodeScheduler: maxBatchSize must be >= 1, got " + maxBatchSize);
        }
        if (maxQueued < 1) {
            throw new IllegalArgumentException("DecodeScheduler: maxQueued must be >= 1, got " + maxQueued);
        }
        this.model = model;
        this.maxBatchSize = maxBatchSize;
        this.queue = new LinkedBlockingQueue<>(maxQueued);
        this.loop = Thread.ofPlatform().name("kiln-decode").daemon().start(this::run);
    }

    /** {@code submit(prompt, params, listener, null)}: token-level stops only, no text. */
    public CompletableFuture<Completion> submit(long[] prompt, SamplingParams params, TokenListener listener) {
        return submit(prompt, params, listener, null);
    }

    /**
     * Queues a completion request.
     *
     * @param listener receives each sample's tokens as they are decoded, or null
     * @param detokenizer turns a sample's tokens into text, for stop strings and {@link Completion.Choice#text}; may be null
     *     when {@code params.stopStrings()} is empty
     * @throws RejectedExecutionException when the queue is full or the scheduler is closed
     */
    public CompletableFuture<Completion> submit(long[] prompt, SamplingParams params, TokenListener listener,
                                                Function<long[], String> detokenizer) {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("DecodeScheduler.submit: prompt must hold at least one token, got "
                    + (prompt == null ? "null" : "0 tokens"));
        }
        if (prompt.length >= model.maxSeqLen()) {
            throw new IllegalArgumentException("DecodeScheduler.submit: prompt of " + prompt.length + " tokens leaves no room in maxSeqLen "
                    + model.maxSeqLen());
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= model.vocabSize()) {
                throw new IllegalArgumentException("DecodeScheduler.submit: prompt[" + i + "] = " + prompt[i] + " is not in [0, "
                        + model.vocabSize() + ")");
            }
        }
        if (params == null) {
            throw new IllegalArgumentException("DecodeScheduler.submit: params must not be null");
        }
        if (!params.stopStrings().isEmpty() && detokenizer == null) {
            throw new IllegalArgumentException("DecodeScheduler.submit: stopStrings " + params.stopStrings() + " need a detokenizer");
        }
        Request r = new Request(prompt.clone(), params, listener, detokenizer);
        if (closed || !queue.offer(r)) {
            throw new RejectedExecutionException("DecodeScheduler: " + (closed ? "closed" : "queue full (" + queue.size() + " requests)"));
        }
        return r.future;
    }

    /** Batched decode steps run so far (one {@link DecodeModel#step} call each). */
    public long steps() {
        return steps.get();
    }

    /** Whether {@link #close} has been called (a refused submit then means closed, not full). */
    public boolean isClosed() {
        return closed;
    }

    /** Sequences in the running batch now, each holding a cache; 0 once every request has finished or been cancelled. */
    public int runningSequences() {
        return runningCount.get();
    }

    /** Sequences of the requests still waiting to join the batch (each request counts its {@code n}). */
    public int queuedSequences() {
        int n = 0;
        for (Request r : queue) { // weakly consistent: a gauge's reading, not a count to act on
            n += r.params.n();
        }
        return n;
    }

    private void run() {
        while (!closed) {
            try {
                List<Sequence> joined = admit();
                List<Sequence> stepping = new ArrayList<>(running);
                running.addAll(joined);
                runningCount.set(running.size());
                for (Sequence s : joined) {
                    s.accept(model.prefill(s.cache, s.request.prompt), 0);
                }
                if (!stepping.isEmpty()) {
                    List<DecodeModel.SequenceCache> caches = new ArrayList<>(stepping.size());
                    long[] tokens = new long[stepping.size()];
                    for (int i = 0; i < tokens.length; i++) {
                        caches.add(stepping.get(i).cache);
                        tokens[i] = stepping.get(i).lastToken;
                    }
                    float[] logits = model.step(caches, tokens);
                    steps.incrementAndGet();
                    for (int i = 0; i < tokens.length; i++) {
                        stepping.get(i).accept(logits, i * model.vocabSize());
                    }
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                for (Sequence s : running) {
                    s.request.fail(e);
                }
            }
            running.removeIf(s -> {
                boolean gone = s.finished || s.request.future.isDone();
                if (gone) {
                    s.cache.close();
                }
                return gone;
            });
            runningCount.set(running.size());
        }
        for (Sequence s : running) {
            s.cache.close();
            s.request.fail(new RejectedExecutionException("DecodeScheduler: closed"));
        }
        running.clear();
        runningCount.set(0);
        for (Request r; (r = queue.poll()) != null;) {
            r.fail(new RejectedExecutionException("DecodeScheduler: closed"));
        }
    }

    /** Takes queued requests while the batch has room; waits for one when nothing is running. */
    private List<Sequence> admit() throws InterruptedException {
        List<Sequence> joined = new ArrayList<>();
        if (running.isEmpty()) {
            Request first = queue.poll(50, TimeUnit.MILLISECONDS);
            if (first == null) {
                return joined;
            }
            first.start(joined);
        }
        for (Request next; (next = queue.peek()) != null && running.size() + joined.size() + next.params.n() <= maxBatchSize;) {
            queue.poll();
            next.start(joined);
        }
        return joined;
    }

    @Override
    public void close() {
        closed = true;
        loop.interrupt();
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One submitted request: its samples finish independently, the future completes with the last. */
    private final class Request {
        final long[] prompt;
        final SamplingParams params;
        final TokenListener listener;
        final Function<long[], String> detokenizer;
        final CompletableFuture<Completion> future = new CompletableFuture<>();
        final Completion.Choice[] choices;
        int sampled;
        int unfinished;

        Request(long[] prompt, SamplingParams params, TokenListener listener, Function<long[], String> detokenizer) {
            this.prompt = prompt;
            this.params = params;
            this.listener = listener;
            this.detokenizer = detokenizer;
            this.choices = new Completion.Choice[params.n()];
            this.unfinished = params.n();
        }

        void start(List<Sequence> joined) {
            if (future.isDone()) {
                return; // cancelled while queued
            }
            long seed = params.seed() != null ? params.seed() : ThreadLocalRandom.current().nextLong();
            Generator root = new Generator(seed);
            for (int i = 0; i < params.n(); i++) {
                joined.add(new Sequence(this, i, model.newCache(), root.split()));
            }
        }

        void finish(Completion.Choice c) {
            choices[c.index()] = c;
            if (listener != null) {
                try {
                    listener.onFinish(c.index(), c.finishReason());
                } catch (RuntimeException e) {
                    fail(e);
                }
            }
            if (--unfinished == 0) {
                future.complete(new Completion(List.of(choices), new Completion.Usage(prompt.length, sampled)));
            }
        }

        void fail(Throwable e) {
            future.completeExceptionally(e);
        }
    }

    /** One sample being decoded. */
    private final class Sequence {
        final Request request;
        final int index;
        final DecodeModel.SequenceCache cache;
        final Generator generator;
        long[] tokens = new long[16];
        int length;
        /** Tokens [0, released) went to the listener; the rest might begin a stop sequence. */
        int released;
        long lastToken;
        boolean finished;

        Sequence(Request request, int index, DecodeModel.SequenceCache cache, Generator generator) {
            this.request = request;
            this.index = index;
            this.cache = cache;
            this.generator = generator;
        }

        /** Samples the next token from logits[offset, offset + vocab), then checks stops and limits. */
        void accept(float[] logits, int offset) {
            if (request.future.isDone()) {
                finished = true;
                return;
            }
            SamplingParams p = request.params;
            lastToken = NucleusSampler.sample(logits, offset, model.vocabSize(), p.temperature(), p.topP(), generator);
            if (length == tokens.length) {
                tokens = Arrays.copyOf(tokens, 2 * length);
            }
            tokens[length++] = lastToken;
            request.sampled++;
            for (long[] stop : p.stopTokens()) {
                if (endsWith(stop)) {
                    end(length - stop.length, null, FinishReason.STOP);
                    return;
                }
            }
            if (!p.stopStrings().isEmpty()) {
                String text = request.detokenizer.apply(Arrays.copyOf(tokens, length));
                int cut = -1;
                for (String stop : p.stopStrings()) {
                    int at = text.indexOf(stop);
                    if (at >= 0 && (cut < 0 || at < cut)) {
                        cut = at;
                    }
                }
                if (cut >= 0) {
                    end(length, text.substring(0, cut), FinishReason.STOP);
                    return;
                }
            }
            // the cache holds every token but the one just sampled; as in OpenAI, prompt plus completion fit the context
            if (length >= p.maxTokens() || cache.length() + 1 >= model.maxSeqLen()) {
                end(length, null, FinishReason.LENGTH);
                return;
            }
            release(length - heldBack());
        }

        /** The longest suffix of the tokens that is a proper prefix of a stop sequence. */
        private int heldBack() {
            int held = 0;
            for (long[] stop : request.params.stopTokens()) {
                for (int k = Math.min(stop.length - 1, length); k > held; k--) {
                    if (Arrays.equals(tokens, length - k, length, stop, 0, k)) {
                        held = k;
                        break;
                    }
                }
            }
            return held;
        }

        private boolean endsWith(long[] stop) {
            return length >= stop.length && Arrays.equals(tokens, length - stop.length, length, stop, 0, stop.length);
        }

        private void release(int upTo) {
            if (request.listener != null) {
                try {
                    for (; released < upTo; released++) {
                        request.listener.onToken(index, tokens[released]);
                    }
                } catch (RuntimeException e) {
                    request.fail(e); // only this request ends: its sequences leave at the end of the step
                }
            }
            released = Math.max(released, upTo);
        }

        private void end(int kept, String text, FinishReason reason) {
            release(kept);
            finished = true;
            long[] out = Arrays.copyOf(tokens, kept);
            if (text == null && request.detokenizer != null) {
                text = request.detokenizer.apply(out);
            }
            request.finish(new Completion.Choice(index, out, text, reason));
        }
    }
}
