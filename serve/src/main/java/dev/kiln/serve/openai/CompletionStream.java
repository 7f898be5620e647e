package dev.kiln.serve.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.nn.generate.Completion;
import dev.kiln.nn.generate.TokenListener;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One streamed answer as Server-Sent Events: {@code data: {chunk}} per piece of text, token by
 * token, then {@code data: [DONE]}. The decode thread only queues what it hears (tokens, finished
 * choices, finished prompts); the request's own thread decodes, holds back possible stop strings
 * ({@link StreamedText}), writes and flushes each event. A write that fails (the client went
 * away) cancels every prompt of the request, so their sequences leave the running batch at the
 * next step and free their caches.
 *
 * <p>Not thread-safe except for the listeners, which the decode thread calls.
 */
final class CompletionStream {
    private sealed interface Event permits TokenEvent, FinishEvent, PromptDone {}

    private record TokenEvent(int choice, long token) implements Event {}

    private record FinishEvent(int choice, Completion.FinishReason reason) implements Event {}

    private record PromptDone(Completion completion, Throwable error) implements Event {}

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final GenerativeModel model;
    private final GenerationRequest request;
    private final CompletionJson json;
    private final ObjectMapper mapper;
    private final List<CompletableFuture<Completion>> futures = new ArrayList<>();

    CompletionStream(GenerativeModel model, GenerationRequest request, CompletionJson json, ObjectMapper mapper) {
        this.model = model;
        this.request = request;
        this.json = json;
        this.mapper = mapper;
    }

    /** The listener for prompt {@code prompt}: its choice {@code c} is the answer's choice {@code prompt * n + c}. */
    TokenListener listener(int prompt) {
        int base = prompt * request.params().n();
        return new TokenListener() {
            @Override
            public void onToken(int choice, long token) {
                events.add(new TokenEvent(base + choice, token));
            }

            @Override
            public void onFinish(int choice, Completion.FinishReason reason) {
                events.add(new FinishEvent(base + choice, reason));
            }
        };
    }

    /** Follows {@code f}, the completion of the next prompt (in order). */
    void follow(CompletableFuture<Completion> f) {
        futures.add(f);
        f.whenComplete((c, e) -> events.add(new PromptDone(c, e)));
    }

    /** Cancels every prompt still decoding. */
    void cancel() {
        futures.forEach(f -> f.cancel(false));
    }

    /**
     * Writes the events to {@code out} until every prompt is done or the client goes away.
     *
     * @return whether the whole answer was sent
     */
    boolean send(OutputStream out) throws InterruptedException {
        int choices = request.prompts().size() * request.params().n();
        long[][] tokens = new long[choices][];
        int[] lengths = new int[choices];
        StreamedText[] texts = new StreamedText[choices];
        for (int i = 0; i < choices; i++) {
            tokens[i] = new long[16];
            texts[i] = new StreamedText(request.params().stopStrings(), !model.decodesPerToken());
        }
        int promptTokens = 0;
        int completionTokens = 0;
        try {
            if (request.chat()) {
                for (int i = 0; i < choices; i++) {
                    write(out, json.roleChunk(i));
                }
            }
            for (int done = 0; done < futures.size();) {
                switch (events.take()) {
                    case TokenEvent t -> {
                        if (lengths[t.choice] == tokens[t.choice].length) {
                            tokens[t.choice] = Arrays.copyOf(tokens[t.choice], 2 * lengths[t.choice]);
                        }
                        tokens[t.choice][lengths[t.choice]++] = t.token;
                        String piece = texts[t.choice].advance(model.decode(Arrays.copyOf(tokens[t.choice], lengths[t.choice])));
                        if (!piece.isEmpty()) {
                            write(out, json.chunk(t.choice, piece, null));
                        }
                    }
                    case FinishEvent f -> {
                        String text = model.decode(Arrays.copyOf(tokens[f.choice], lengths[f.choice]));
                        if (f.reason == Completion.FinishReason.STOP) {
                            text = StreamedText.cut(text, request.params().stopStrings());
                        }
                        write(out, json.chunk(f.choice, texts[f.choice].finish(text), f.reason));
                    }
                    case PromptDone d -> {
                        if (d.error != null) {
                            if (!(d.error instanceof CancellationException)) {
                                write(out, mapper.createObjectNode().put("error", "generation failed: " + d.error));
                            }
                            cancel();
                            return false;
                        }
                        promptTokens += d.completion.usage().promptTokens();
                        completionTokens += d.completion.usage().completionTokens();
                        done++;
                    }
                }
            }
            if (request.includeUsage()) {
                write(out, json.usageChunk(promptTokens, completionTokens));
            }
            out.write(DONE);
            out.flush();
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false; // the client went away
        } finally {
            cancel(); // whatever ended the stream, nothing of it may go on decoding for nobody
        }
    }

    private void write(OutputStream out, ObjectNode event) throws IOException {
        out.write(("data: " + mapper.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
