package dev.kiln.serve.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.nn.generate.SamplingParams;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.JsonBodies;
import java.util.ArrayList;
import java.util.List;

/**
 * An OpenAI {@code /v1/completions} or {@code /v1/chat/completions} body, checked field by field:
 * {@code prompt} (a string or a list of up to {@value #MAX_PROMPTS} strings) or {@code messages}
 * ({@code role} system, user or assistant, string {@code content}); {@code max_tokens} (default 16
 * for completions, for chat the rest of the context; {@code max_completion_tokens} is its chat
 * alias), {@code temperature} in [0, 2] (default 1; 0 is greedy), {@code top_p} in (0, 1] (1),
 * {@code n} from 1 to the model's running batch (1), {@code stop} (a string or up to
 * {@value #MAX_STOPS}), an integer {@code seed}, {@code stream} and
 * {@code stream_options.include_usage}. Fields OpenAI defines that this server cannot honour
 * ({@code logprobs}, {@code echo}, {@code suffix}, {@code best_of}, {@code logit_bias}, penalties,
 * tools) are refused unless they hold their neutral value; other fields are ignored, as OpenAI does.
 * Every refusal is a 400 {@code "FIELD: expected ..., got ..."}.
 *
 * @param model the model asked for
 * @param chat whether this is a chat completion (its one prompt rendered by {@link ChatTemplate})
 * @param prompts the prompts, in order (choices of prompt {@code i} are {@code i * n .. i * n + n - 1})
 * @param params how each prompt is decoded
 * @param stream whether the answer is a stream of Server-Sent Events
 * @param includeUsage whether a stream ends with a usage chunk
 */
public record GenerationRequest(String model, boolean chat, List<String> prompts, SamplingParams params, boolean stream,
                                boolean includeUsage) {
    /** The most stop strings, as OpenAI allows. */
    public static final int MAX_STOPS = 4;
    /** The most prompts in one completions request. */
    public static final int MAX_PROMPTS = 16;
    private static final List<String> UNSUPPORTED = List.of("logprobs", "top_logprobs", "echo", "suffix", "logit_bias",
            "presence_penalty", "frequency_penalty", "tools", "functions", "tool_choice", "response_format");

    /** The body as a JSON object. */
    static JsonNode parseBody(byte[] body, ObjectMapper json) {
        return JsonBodies.object(body, json);
    }

    /** The required {@code model} field. */
    static String modelName(JsonNode body) {
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual() || m.asText().isEmpty()) {
            throw ServeException.badRequest("model: expected the name of a served model, got " + describe(m));
        }
        return m.asText();
    }

    /** A {@code /v1/completions} body for {@code model}. */
    static GenerationRequest completion(JsonNode body, GenerativeModel model) {
        JsonNode p = body.get("prompt");
        List<String> prompts = new ArrayList<>();
        if (p != null && p.isTextual()) {
            prompts.add(p.asText());
        } else if (p != null && p.isArray() && !p.isEmpty() && p.size() <= MAX_PROMPTS) {
            for (int i = 0; i < p.size(); i++) {
                if (!p.get(i).isTextual()) {
                    throw ServeException.badRequest("prompt[" + i + "]: expected a string, got " + describe(p.get(i)));
                }
                prompts.add(p.get(i).asText());
            }
        } else {
            throw ServeException.badRequest("prompt: expected a string or an array of 1 to " + MAX_PROMPTS + " strings, got "
                    + describe(p));
        }
        return of(body, false, prompts, model, 16, List.of());
    }

    /** A {@code /v1/chat/completions} body for {@code model}. */
    static GenerationRequest chat(JsonNode body, GenerativeModel model) {
        JsonNode ms = body.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) {
            throw ServeException.badRequest("messages: expected a non-empty array of {role, content}, got " + describe(ms));
        }
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            if (!m.isObject()) {
                throw ServeException.badRequest("messages[" + i + "]: expected an object {role, content}, got " + describe(m));
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ChatTemplate.ROLES.contains(role.asText())) {
                throw ServeException.badRequest("messages[" + i + "].role: expected one of " + ChatTemplate.ROLES + ", got "
                        + describe(role));
            }
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                throw ServeException.badRequest("messages[" + i + "].content: expected a string, got " + describe(content));
            }
            messages.add(new ChatTemplate.Message(role.asText(), content.asText()));
        }
        int maxTokens = model.maxContext(); // OpenAI's chat default: as long as the context allows
        if (body.hasNonNull("max_completion_tokens")) {
            maxTokens = positiveInt(body, "max_completion_tokens", maxTokens);
        }
        return of(body, true, List.of(ChatTemplate.render(messages)), model, maxTokens, List.of(ChatTemplate.TURN_END));
    }

    private static GenerationRequest of(JsonNode body, boolean chat, List<String> prompts, GenerativeModel model,
                                        int defaultMaxTokens, List<String> implicitStops) {
        for (String field : UNSUPPORTED) {
            JsonNode v = body.get(field);
            boolean neutral = v == null || v.isNull() || (v.isBoolean() && !v.asBoolean()) || (v.isNumber() && v.asDouble() == 0)
                    || (v.isContainerNode() && v.isEmpty());
            if (!neutral) {
                throw ServeException.badRequest(field + ": not supported by this server, got " + describe(v));
            }
        }
        int maxTokens = positiveInt(body, "max_tokens", defaultMaxTokens);
        double temperature = number(body, "temperature", 1.0, 0.0, 2.0, true);
        double topP = number(body, "top_p", 1.0, 0.0, 1.0, false);
        int n = positiveInt(body, "n", 1);
        if (n > model.maxRunning()) {
            throw ServeException.badRequest("n: expected 1 to " + model.maxRunning() + " (the model's running batch), got " + n);
        }
        JsonNode best = body.get("best_of");
        if (best != null && !best.isNull() && !(best.canConvertToInt() && best.isIntegralNumber() && best.asInt() == n)) {
            throw ServeException.badRequest("best_of: not supported by this server (only best_of = n), got " + describe(best));
        }
        JsonNode s = body.get("seed");
        Long seed = null;
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw ServeException.badRequest("seed: expected an integer, got " + describe(s));
            }
            seed = s.asLong();
        }
        List<String> stops = new ArrayList<>(stops(body.get("stop")));
        for (String extra : implicitStops) {
            if (!stops.contains(extra)) {
                stops.add(extra);
            }
        }
        boolean stream = flag(body, "stream");
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!stream) {
                throw ServeException.badRequest("stream_options: only allowed with \"stream\": true, got " + describe(options));
            }
            if (!options.isObject()) {
                throw ServeException.badRequest("stream_options: expected an object, got " + describe(options));
            }
            includeUsage = flag(options, "include_usage");
        }
        SamplingParams params = new SamplingParams(maxTokens, temperature, topP, n, seed, List.of(), stops);
        return new GenerationRequest(modelName(body), chat, List.copyOf(prompts), params, stream, includeUsage);
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (stop.isTextual()) {
            out.add(stop.asText());
        } else if (stop.isArray() && stop.size() <= MAX_STOPS) {
            for (int i = 0; i < stop.size(); i++) {
                if (!stop.get(i).isTextual()) {
                    throw ServeException.badRequest("stop[" + i + "]: expected a string, got " + describe(stop.get(i)));
                }
                out.add(stop.get(i).asText());
            }
        } else {
            throw ServeException.badRequest("stop: expected a string or an array of up to " + MAX_STOPS + " strings, got "
                    + describe(stop));
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isEmpty()) {
                throw ServeException.badRequest((stop.isTextual() ? "stop" : "stop[" + i + "]") + ": expected a non-empty string, got \"\"");
            }
        }
        return out;
    }

    private static int positiveInt(JsonNode body, String field, int fallback) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw ServeException.badRequest(field + ": expected an integer >= 1, got " + describe(v));
        }
        return v.asInt();
    }

    /** A number in [lo, hi] ({@code (lo, hi]} unless {@code closedLow}). */
    private static double number(JsonNode body, String field, double fallback, double lo, double hi, boolean closedLow) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        double x = v.asDouble();
        if (!v.isNumber() || !(closedLow ? x >= lo : x > lo) || !(x <= hi)) {
            throw ServeException.badRequest(field + ": expected a number in " + (closedLow ? "[" : "(") + fmt(lo) + ", " + fmt(hi)
                    + "], got " + describe(v));
        }
        return x;
    }

    private static boolean flag(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ServeException.badRequest(field + ": expected true or false, got " + describe(v));
        }
        return v.asBoolean();
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }

    /** A value as an error message shows it: JSON, cut short. */
    static String describe(JsonNode v) {
        if (v == null) {
            return "nothing";
        }
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
