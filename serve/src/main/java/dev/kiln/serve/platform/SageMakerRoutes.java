package dev.kiln.serve.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.http.JsonBodies;
import dev.kiln.serve.http.JsonResponses;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.TensorSpec;
import dev.kiln.serve.registry.ModelRegistry;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * SageMaker's bring-your-own-container hosting contract
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html):
 * <ul>
 *   <li>{@code GET /ping}: 200 with an empty body once a model is loaded, 503 otherwise (and while
 *       draining: the server's gate answers 503 then);</li>
 *   <li>{@code POST /invocations}: the body's {@code Content-Type} says its format —
 *       {@code application/json}: {@code {"instances": [...]}} as Vertex AI takes it ({@link Instances});
 *       {@code text/csv}: one instance per line (numbers separated by commas for the cnn and rnn, the
 *       line itself for text models); other types get 415. The {@code Accept} header picks the
 *       answer's format: {@code application/json} (also when absent or {@code *}{@code /*}):
 *       {@code {"predictions": [...]}}; {@code text/csv}: one line per instance with its first
 *       per-instance scalar output (label, forecast, phonemes); anything else gets 406.</li>
 *   <li>The first model loaded answers, or the one {@code X-Amzn-SageMaker-Target-Model} names
 *       (404 naming the header when none is loaded under that name).</li>
 * </ul>
 * Bodies over SageMaker's 6 MB payload limit get 413.
 */
final class SageMakerRoutes implements PlatformRoutes {
    /** The header a multi-model endpoint uses to say which model a request is for. */
    static final String TARGET_MODEL = "X-Amzn-SageMaker-Target-Model";

    private final PlatformSettings settings;

    SageMakerRoutes(PlatformSettings settings) {
        this.settings = settings;
    }

    @Override
    public void addTo(RoutesConfig routes, ModelRegistry registry, JsonResponses out, long maxBodyBytes) {
        long limit = Math.min(maxBodyBytes, settings.maxPayloadBytes());
        routes.get(settings.healthRoute(), ctx -> {
            if (registry.names().isEmpty()) {
                out.send(ctx, 503, out.error("no model is loaded"));
            } else {
                ctx.status(200).result(""); // "a simple response with an empty body" (docs above)
            }
        });
        routes.post(settings.predictRoute(), ctx -> invoke(ctx, registry, out, limit));
    }

    private void invoke(Context ctx, ModelRegistry registry, JsonResponses out, long limit) {
        boolean csvAnswer = csvAccepted(ctx.header("Accept"));
        String type = mime(ctx.header("Content-Type"));
        String model = Predictions.model(registry, blankToNull(ctx.header(TARGET_MODEL)), TARGET_MODEL);
        List<JsonNode> instances;
        if (type.equals("application/json")) {
            instances = Predictions.instances(JsonBodies.object(JsonBodies.bytes(ctx, limit), out.mapper()));
        } else if (type.equals("text/csv")) {
            byte[] bytes = JsonBodies.bytes(ctx, limit);
            JsonBodies.checkUtf8(bytes);
            TensorSpec input = registry.find(model, null).model().inputs().getFirst();
            instances = csv(new String(bytes, StandardCharsets.UTF_8), input.datatype().equals("BYTES"));
        } else {
            throw new ServeException(415, "Content-Type: expected application/json or text/csv, got \""
                    + (type.isEmpty() ? "nothing" : type) + "\"");
        }
        List<OutputTensor> outputs = Predictions.run(ctx, registry, model, instances, type.equals("text/csv") ? "line" : "instances",
                Map.of());
        if (!csvAnswer) {
            out.send(ctx, 200, out.object().set("predictions", Instances.predictions(outputs, instances.size(), out.mapper())));
            return;
        }
        OutputTensor first = outputs.stream().filter(t -> t.shape().length == 1).findFirst().orElse(outputs.getFirst());
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < instances.size(); i++) {
            JsonNode v = Instances.row(first, i, instances.size());
            if (v.isArray()) {
                for (int k = 0; k < v.size(); k++) {
                    csv.append(k == 0 ? "" : ",").append(cell(v.get(k)));
                }
            } else {
                csv.append(cell(v));
            }
            csv.append('\n');
        }
        ctx.status(200).contentType("text/csv; charset=utf-8").result(csv.toString());
    }

    /** A CSV cell: numbers as they are, text quoted when it holds a comma, quote or line break (RFC 4180). */
    private static String cell(JsonNode v) {
        String s = v.asText();
        if (v.isTextual() && (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r"))) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /** One instance per non-empty line: the line itself for a text input, else its comma-separated numbers. */
    private static List<JsonNode> csv(String body, boolean text) {
        List<JsonNode> out = new ArrayList<>();
        String[] lines = body.split("\r?\n");
        JsonNodeFactory f = JsonNodeFactory.instance;
        for (int l = 0; l < lines.length; l++) {
            String line = lines[l];
            if (line.isBlank()) {
                continue;
            }
            if (text) {
                out.add(f.textNode(line));
                continue;
            }
            ArrayNode row = f.arrayNode();
            String[] cells = line.split(",", -1);
            for (int c = 0; c < cells.length; c++) {
                try {
                    row.add(Double.parseDouble(cells[c].strip()));
                } catch (NumberFormatException e) {
                    throw ServeException.badRequest("line " + (l + 1) + ", column " + (c + 1) + ": expected a number, got \""
                            + cells[c] + "\"");
                }
            }
            out.add(row);
        }
        return out;
    }

    /** Whether the answer is to be CSV; JSON when {@code accept} allows it or says nothing. */
    private static boolean csvAccepted(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        for (String part : accept.split(",")) {
            String t = mime(part);
            if (t.equals("application/json") || t.equals("*/*") || t.equals("application/*")) {
                return false;
            }
            if (t.equals("text/csv") || t.equals("text/*")) {
                return true;
            }
        }
        throw new ServeException(406, "Accept: expected application/json or text/csv, got \"" + accept + "\"");
    }

    private static String mime(String header) {
        if (header == null) {
            return "";
        }
        int semi = header.indexOf(';');
        return (semi < 0 ? header : header.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public List<String> openRoutes() {
        return List.of(settings.healthRoute());
    }
}
