package dev.kiln.serve.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.nn.generate.Completion;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.ServingMetrics;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.kserve.KServeRoutes;
import dev.kiln.serve.registry.ModelRegistry;
import dev.kiln.serve.registry.ModelVersion;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * OpenAI-compatible routes for the {@link GenerativeModel}s of a registry: {@code GET /v1/models}
 * (and {@code /v1/models/{model}}), {@code POST /v1/completions} and
 * {@code POST /v1/chat/completions}, answered whole or, with {@code "stream": true}, as
 * Server-Sent Events ({@link CompletionStream}). The body's {@code model} names the model; its
 * traffic split, if any, picks the version (sticky by {@link KServeRoutes#STICKY_HEADER}). Errors
 * are {@code {"error": "..."}}: 400 naming the field, 404 for an unknown model, 429 with
 * {@code Retry-After} when the model's waiting room is full.
 *
 * <p>Thread-safety: handlers run on any number of request threads at once.
 */
public final class OpenAiRoutes {
    private final ModelRegistry registry;
    private final JsonResponses out;
    private final ServingMetrics metrics;
    private final long requestTimeoutMs;
    private final long maxBodyBytes;
    /** The version object whose generation metrics are registered, by "name/version": a reloaded version is a new object. */
    private final Map<String, ModelVersion> followed = new ConcurrentHashMap<>();

    /**
     * Routes over {@code registry}'s generative models, reporting to {@code metrics}; bodies over
     * {@code maxBodyBytes} get 413. A whole (non-streamed) completion not done within
     * {@code requestTimeoutMs} (0: no limit) gets 504 and its sequences leave the batch; a stream has
     * no limit, its client sees tokens as they come and ends it by disconnecting.
     */
    public OpenAiRoutes(ModelRegistry registry, JsonResponses out, ServingMetrics metrics, long requestTimeoutMs,
                        long maxBodyBytes) {
        if (requestTimeoutMs < 0) {
            throw new IllegalArgumentException("requestTimeoutMs must be >= 0 (0: no limit), got " + requestTimeoutMs);
        }
        this.registry = registry;
        this.out = out;
        this.metrics = metrics;
        this.requestTimeoutMs = requestTimeoutMs;
        this.maxBodyBytes = maxBodyBytes;
        for (ModelVersion v : registry.all()) {
            if (v.model() instanceof GenerativeModel g) {
                register(v, g);
            }
        }
    }

    /** Adds the routes under {@code /v1}. */
    public void addTo(RoutesConfig routes) {
        routes.get("/v1/models", this::models);
        routes.get("/v1/models/{model}", ctx -> out.send(ctx, 200, modelCard(generative(registry.find(ctx.pathParam("model"),
                null)).name())));
        routes.post("/v1/completions", ctx -> generate(ctx, false));
        routes.post("/v1/chat/completions", ctx -> generate(ctx, true));
    }

    private void models(Context ctx) {
        ObjectNode list = out.object().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String name : registry.names()) {
            if (registry.find(name, null).model() instanceof GenerativeModel) {
                data.add(modelCard(name));
            }
        }
        out.send(ctx, 200, list);
    }

    private ObjectNode modelCard(String name) {
        return out.object().put("id", name).put("object", "model").put("created", 0).put("owned_by", "kiln");
    }

    private static ModelVersion generative(ModelVersion v) {
        if (!(v.model() instanceof GenerativeModel)) {
            throw ServeException.badRequest("model: \"" + v.name() + "\" is a " + v.model().app()
                    + " model; the /v1 endpoints serve text generation (gpt) models");
        }
        return v;
    }

    private void generate(Context ctx, boolean chat) throws InterruptedException {
        long start = System.nanoTime();
        String metricName = "unknown";
        String metricVersion = "default";
        int status = 500;
        try {
            JsonNode body = GenerationRequest.parseBody(JsonBodies.bytes(ctx, maxBodyBytes), out.mapper());
            String name = GenerationRequest.modelName(body);
            try (ModelVersion.Lease lease = registry.acquire(name, null, ctx.header(KServeRoutes.STICKY_HEADER))) {
                ModelVersion v = generative(lease.version());
                metricName = v.name();
                metricVersion = v.version();
                GenerativeModel model = (GenerativeModel) v.model();
                register(v, model);
                GenerationRequest request = chat ? GenerationRequest.chat(body, model) : GenerationRequest.completion(body, model);
                List<long[]> prompts = encode(model, request);
                CompletionJson json = new CompletionJson(out.mapper(), name, chat);
                if (request.stream()) {
                    CompletionStream stream = new CompletionStream(model, request, json, out.mapper());
                    submit(model, request, prompts, stream);
                    status = 200;
                    stream(ctx, stream);
                } else {
                    out.send(ctx, 200, json.response(await(submit(model, request, prompts, null), name), request.params().n()));
                    status = 200;
                }
            }
        } catch (ServeException e) {
            status = e.status(); // the server's mapper answers it, with Retry-After on a 429
            throw e;
        } catch (io.javalin.http.HttpResponseException e) {
            status = e.getStatus();
            throw e;
        } finally {
            metrics.request(metricName, metricVersion, status, System.nanoTime() - start);
        }
    }

    private static List<long[]> encode(GenerativeModel model, GenerationRequest request) {
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < request.prompts().size(); i++) {
            long[] ids = model.encode(request.prompts().get(i));
            String field = request.chat() ? "messages" : request.prompts().size() == 1 ? "prompt" : "prompt[" + i + "]";
            if (ids.length == 0) {
                throw ServeException.badRequest(field + ": expected at least one token, got an empty prompt");
            }
            if (ids.length >= model.maxContext()) {
                throw ServeException.badRequest(field + ": expected fewer tokens than the model's max context of "
                        + model.maxContext() + " (room for one new token), got " + ids.length
                        + (request.chat() ? " tokens once rendered by the chat template" : " tokens"));
            }
            prompts.add(ids);
        }
        return prompts;
    }

    /** Submits every prompt; when one is refused, those already queued are cancelled. */
    private static List<CompletableFuture<Completion>> submit(GenerativeModel model, GenerationRequest request,
                                                              List<long[]> prompts, CompletionStream stream) {
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < prompts.size(); i++) {
                CompletableFuture<Completion> f = model.submit(prompts.get(i), request.params(),
                        stream == null ? null : stream.listener(i));
                futures.add(f);
                if (stream != null) {
                    stream.follow(f);
                }
            }
        } catch (RuntimeException e) {
            futures.forEach(f -> f.cancel(false));
            throw e;
        }
        return futures;
    }

    private List<Completion> await(List<CompletableFuture<Completion>> futures, String model) throws InterruptedException {
        List<Completion> done = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs);
        try {
            for (CompletableFuture<Completion> f : futures) {
                // a virtual thread: blocking parks it, not a carrier
                done.add(requestTimeoutMs == 0 ? f.get() : f.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS));
            }
        } catch (TimeoutException e) {
            throw new ServeException(504, "timeout: model " + model + " did not finish the completion within "
                    + requestTimeoutMs + " ms; stream it (\"stream\": true) or ask for fewer max_tokens");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ServeException s) {
                throw s;
            }
            throw new IllegalStateException("generation failed: " + e.getCause(), e.getCause());
        } finally {
            futures.forEach(f -> f.cancel(false)); // no-op when done; frees the sequences of an interrupted wait
        }
        return done;
    }

    /** Streams over the servlet response itself: Javalin's SSE helper serves GET only, and its output stream may compress. */
    private static void stream(Context ctx, CompletionStream stream) throws InterruptedException {
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream; charset=utf-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no"); // proxies such as nginx: do not buffer the events
        try {
            stream.send(res.getOutputStream());
        } catch (IOException e) {
            stream.cancel(); // the client went away before the first byte
        }
    }

    private void register(ModelVersion v, GenerativeModel g) {
        if (followed.get(v.name() + "/" + v.version()) == v) {
            return;
        }
        followed.compute(v.name() + "/" + v.version(), (key, before) -> {
            if (before != v) {
                metrics.generation(v.name(), v.version(), g, GenerativeModel::generatedTokens,
                        GenerativeModel::runningSequences, GenerativeModel::waitingSequences);
            }
            return v;
        });
    }
}
