package dev.kiln.nn.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.generate.Completion.FinishReason;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Continuous batching over a small random GPT: each sequence's tokens against the same request
 * run alone, greedy against {@link Gpt#generateGreedy}, stops, limits, n and usage.
 */
class DecodeSchedulerTest {
    private static final int VOCAB = 11;

    private static Gpt gpt(boolean rope) {
        Gpt g = new Gpt(new Gpt.Config(VOCAB, 40, 2, 16, 4, 2, 32, rope, !rope), new Generator(rope ? 5 : 6));
        // larger weights than GPT-2's init, so the logits are far from uniform and greedy paths vary
        for (var p : g.parameters()) {
            if (p.value().shape().rank() == 2) {
                try (Tensor big = p.value().mul(20.0)) {
                    p.value().copyFrom(big);
                }
            }
        }
        g.eval();
        return g;
    }

    private static Completion alone(Gpt model, long[] prompt, SamplingParams p) throws Exception {
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 8, 8)) {
            return s.submit(prompt, p, null).get(60, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void greedyEqualsTheNonBatchedGenerationPath(boolean rope) throws Exception {
        Gpt model = gpt(rope);
        long[] prompt = {1, 2, 3, 4};
        long[] expected = model.generateGreedy(prompt, 12);
        Completion c = alone(model, prompt, SamplingParams.greedy(12));
        assertArrayEquals(Arrays.copyOfRange(expected, prompt.length, expected.length), c.choices().get(0).tokens());
        assertEquals(FinishReason.LENGTH, c.choices().get(0).finishReason());
        assertEquals(new Completion.Usage(4, 12), c.usage());
    }

    /**
     * Three requests start alone, then again in one scheduler where B joins once A has 3 tokens
     * and C once B has 2 (A, B, C then share steps, and A leaves first): every token must match.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void tokensAreTheSameAloneAndJoiningMidway(boolean rope) throws Exception {
        Gpt model = gpt(rope);
        long[][] prompts = {{1, 2, 3}, {4, 5, 6, 7, 8}, {9}};
        SamplingParams[] params = {
            SamplingParams.greedy(10),
            SamplingParams.defaults().withMaxTokens(14).withTemperature(1.2).withTopP(0.9).withSeed(42L),
            SamplingParams.defaults().withMaxTokens(12).withTemperature(0.8).withSeed(7L).withN(2)};
        List<Completion> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            expected.add(alone(model, prompts[i], params[i]));
        }
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 8, 8)) {
            CountDownLatch aHas3 = new CountDownLatch(3);
            CountDownLatch bHas2 = new CountDownLatch(2);
            CompletableFuture<Completion> a = s.submit(prompts[0], params[0], (ch, t) -> aHas3.countDown());
            assertTrue(aHas3.await(30, TimeUnit.SECONDS));
            CompletableFuture<Completion> b = s.submit(prompts[1], params[1], (ch, t) -> bHas2.countDown());
            assertTrue(bHas2.await(30, TimeUnit.SECONDS));
            CompletableFuture<Completion> c = s.submit(prompts[2], params[2], null);
            List<Completion> batched = List.of(a.get(60, TimeUnit.SECONDS), b.get(60, TimeUnit.SECONDS), c.get(60, TimeUnit.SECONDS));
            for (int i = 0; i < 3; i++) {
                assertEquals(expected.get(i).usage(), batched.get(i).usage(), "request " + i);
                for (int k = 0; k < params[i].n(); k++) {
                    assertArrayEquals(expected.get(i).choices().get(k).tokens(), batched.get(i).choices().get(k).tokens(),
                            "request " + i + " choice " + k);
                }
            }
            assertTrue(s.steps() < 10 + 13 + 11, "sequences shared steps: " + s.steps());
        }
    }

    @Test
    void manyThreadsSubmittingGetTheirAloneResults() throws Exception {
        Gpt model = gpt(true);
        int requests = 6;
        List<Completion> expected = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            expected.add(alone(model, new long[] {i + 1, 2}, SamplingParams.defaults().withMaxTokens(5 + i).withSeed((long) i)));
        }
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 3, 16)) {
            List<CompletableFuture<Completion>> futures = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int r = i;
                threads.add(Thread.ofVirtual().start(() -> futures.add(
                        s.submit(new long[] {r + 1, 2}, SamplingParams.defaults().withMaxTokens(5 + r).withSeed((long) r), null))));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (CompletableFuture<Completion> f : futures) {
                Completion c = f.get(60, TimeUnit.SECONDS);
                int r = c.choices().get(0).tokens().length - 5;
                assertArrayEquals(expected.get(r).choices().get(0).tokens(), c.choices().get(0).tokens(), "request " + r);
            }
        }
    }

    @Test
    void tokenStopSequenceEndsTheSampleAndIsNeverStreamed() throws Exception {
        Gpt model = gpt(true);
        long[] prompt = {3, 1, 4};
        long[] free = alone(model, prompt, SamplingParams.greedy(12)).choices().get(0).tokens();
        // stop on the tokens at positions 4 and 5 (the first occurrence of that pair decides)
        long[] stop = {free[4], free[5]};
        int at = 0;
        while (!(free[at] == stop[0] && free[at + 1] == stop[1])) {
            at++;
        }
        List<Long> streamed = new CopyOnWriteArrayList<>();
        List<FinishReason> finished = new CopyOnWriteArrayList<>();
        TokenListener listener = new TokenListener() {
            @Override
            public void onToken(int choice, long token) {
                streamed.add(token);
            }

            @Override
            public void onFinish(int choice, FinishReason reason) {
                finished.add(reason);
            }
        };
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 4, 4)) {
            Completion c = s.submit(prompt, SamplingParams.greedy(12).withStopTokens(List.of(new long[] {99, 98}, stop)), listener)
                    .get(60, TimeUnit.SECONDS);
            assertArrayEquals(Arrays.copyOf(free, at), c.choices().get(0).tokens());
            assertEquals(FinishReason.STOP, c.choices().get(0).finishReason());
            assertEquals("stop", c.choices().get(0).finishReason().openAiName());
            assertEquals(at + 2, c.usage().completionTokens(), "the stop tokens were sampled, so they count");
            assertEquals(Arrays.stream(Arrays.copyOf(free, at)).boxed().toList(), streamed);
            assertEquals(List.of(FinishReason.STOP), finished);
        }
    }

    @Test
    void stopStringCutsTheTextThroughTheDetokenizer() throws Exception {
        Gpt model = gpt(true);
        long[] prompt = {2, 7};
        long[] free = alone(model, prompt, SamplingParams.greedy(10)).choices().get(0).tokens();
        java.util.function.Function<long[], String> letters = ts -> {
            StringBuilder b = new StringBuilder();
            for (long t : ts) {
                b.append((char) ('a' + t));
            }
            return b.toString();
        };
        String text = letters.apply(free);
        String stop = text.substring(3, 5);
        int cut = text.indexOf(stop);
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 4, 4)) {
            Completion c = s.submit(prompt, SamplingParams.greedy(10).withStopStrings(List.of(stop)), null, letters)
                    .get(60, TimeUnit.SECONDS);
            Completion.Choice choice = c.choices().get(0);
            assertEquals(text.substring(0, cut), choice.text());
            assertEquals(FinishReason.STOP, choice.finishReason());
            assertArrayEquals(Arrays.copyOf(free, cut + 2), choice.tokens(), "decoding stopped at the token that completed the stop");
            Completion plain = s.submit(prompt, SamplingParams.greedy(10), null, letters).get(60, TimeUnit.SECONDS);
            assertEquals(text, plain.choices().get(0).text());
            assertNull(s.submit(prompt, SamplingParams.greedy(2), null).get(60, TimeUnit.SECONDS).choices().get(0).text());
        }
    }

    @Test
    void maxTokensAndContextLengthEndWithLength() throws Exception {
        Gpt model = gpt(false);
        Completion c = alone(model, new long[] {1, 2}, SamplingParams.defaults().withMaxTokens(7).withSeed(3L));
        assertEquals(7, c.choices().get(0).tokens().length);
        assertEquals(FinishReason.LENGTH, c.choices().get(0).finishReason());
        // maxSeqLen 40: a 35-token prompt leaves room for 5 tokens, asking for 100 gives 5 and "length"
        long[] longPrompt = new long[35];
        Completion full = alone(model, longPrompt, SamplingParams.greedy(100));
        assertEquals(5, full.choices().get(0).tokens().length);
        assertEquals(FinishReason.LENGTH, full.choices().get(0).finishReason());
        assertEquals(new Completion.Usage(35, 5), full.usage());
    }

    @Test
    void nSamplesAreIndependentReproducibleAndCounted() throws Exception {
        Gpt model = gpt(true);
        SamplingParams p = SamplingParams.defaults().withMaxTokens(9).withTemperature(1.5).withN(3).withSeed(11L);
        Completion first = alone(model, new long[] {5, 6}, p);
        Completion again = alone(model, new long[] {5, 6}, p);
        assertEquals(3, first.choices().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, first.choices().get(i).index());
            assertArrayEquals(first.choices().get(i).tokens(), again.choices().get(i).tokens(), "same seed, choice " + i);
        }
        assertFalse(Arrays.equals(first.choices().get(0).tokens(), first.choices().get(1).tokens())
                && Arrays.equals(first.choices().get(1).tokens(), first.choices().get(2).tokens()), "the samples differ");
        assertEquals(new Completion.Usage(2, 27), first.usage());
        Completion other = alone(model, new long[] {5, 6}, p.withSeed(12L));
        assertNotEquals(Arrays.toString(first.choices().get(0).tokens()) + Arrays.toString(first.choices().get(1).tokens()),
                Arrays.toString(other.choices().get(0).tokens()) + Arrays.toString(other.choices().get(1).tokens()));
    }

    @Test
    void tokensArriveOneByOneBeforeTheSampleFinishes() throws Exception {
        Gpt model = gpt(true);
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 4, 4)) {
            List<Long> streamed = new CopyOnWriteArrayList<>();
            List<Long> stepsAtToken = new CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicReference<CompletableFuture<Completion>> self = new java.util.concurrent.atomic.AtomicReference<>();
            CountDownLatch submitted = new CountDownLatch(1);
            List<Boolean> doneAtToken = new CopyOnWriteArrayList<>();
            self.set(s.submit(new long[] {1}, SamplingParams.defaults().withMaxTokens(8).withSeed(1L), (ch, t) -> {
                try {
                    submitted.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                streamed.add(t);
                stepsAtToken.add(s.steps());
                doneAtToken.add(self.get().isDone());
            }));
            submitted.countDown();
            Completion c = self.get().get(60, TimeUnit.SECONDS);
            assertEquals(Arrays.stream(c.choices().get(0).tokens()).boxed().toList(), streamed);
            assertFalse(doneAtToken.contains(true), "every token arrived before the completion");
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), stepsAtToken, "one token per decode step");
        }
    }

    @Test
    void badRequestsAreRefusedWithTheirValues() throws Exception {
        Gpt model = gpt(true);
        try (DecodeScheduler s = new DecodeScheduler(new GptDecodeModel(model), 2, 1)) {
            SamplingParams p = SamplingParams.greedy(3);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> s.submit(new long[0], p, null)).getMessage().contains("prompt"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> s.submit(new long[] {1, 11}, p, null)).getMessage()
                    .contains("prompt[1] = 11"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> s.submit(new long[40], p, null)).getMessage()
                    .contains("maxSeqLen 40"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> s.submit(new long[] {1}, p.withStopStrings(List.of("x")), null)).getMessage().contains("detokenizer"));
            assertThrows(IllegalArgumentException.class, () -> s.submit(new long[] {1}, null, null));
            // a listener that throws fails only its own request
            CompletableFuture<Completion> bad = s.submit(new long[] {1}, p, (ch, t) -> {
                throw new IllegalStateException("client gone");
            });
            assertTrue(assertThrows(java.util.concurrent.ExecutionException.class, () -> bad.get(60, TimeUnit.SECONDS)).getCause()
                    .getMessage().contains("client gone"));
            assertEquals(3, s.submit(new long[] {1}, p, null).get(60, TimeUnit.SECONDS).choices().get(0).tokens().length);
        }
        assertThrows(IllegalArgumentException.class, () -> new DecodeScheduler(new GptDecodeModel(model), 0, 1));
        DecodeScheduler closed = new DecodeScheduler(new GptDecodeModel(model), 1, 1);
        closed.close();
        assertThrows(RejectedExecutionException.class, () -> closed.submit(new long[] {1}, SamplingParams.greedy(1), null));
    }
}
