package dev.kiln.serve.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.InferTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A KServe v2 infer request body: {@code {"id"?, "inputs": [{"name", "datatype", "shape", "data"}],
 * "outputs"?: [{"name"}]}}. Data may be flat or nested row-major arrays; its element count must
 * equal the shape's product. Every refusal is a 400 naming the field.
 *
 * @param id the request id echoed in the response, or null
 * @param inputs the input tensors, in order
 * @param outputs the output names asked for (empty: all)
 */
public record InferRequest(String id, List<InferTensor> inputs, List<String> outputs) {
    static final Set<String> NUMERIC = Set.of("FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
            "UINT32", "UINT64", "BOOL");
    /** Elements one request may carry, whatever the byte limit: a shape product over it is refused before any allocation. */
    static final long MAX_ELEMENTS = 1L << 26;

    /** Parses {@code body}. */
    public static InferRequest parse(byte[] body, ObjectMapper json) {
        InferRequest numeric = NumericRequestReader.read(body, json);
        return numeric != null ? numeric : parseTree(body, json);
    }

    /** Parses {@code body} through a Jackson tree: every request, and the wording of every refusal. */
    static InferRequest parseTree(byte[] body, ObjectMapper json) {
        JsonNode root;
        try (JsonParser parser = json.createParser(body)) {
            // Tensor data is mostly 16-17 digit decimals (a client's x / 255.0): the JDK's parser takes its
            // big-integer path on many of them, FastDoubleParser (bundled with Jackson, correctly rounded
            // too) does not. Measured by kiln bench serve: it was most of the request parsing time.
            parser.enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER.mappedFeature());
            root = json.readTree(parser);
        } catch (JacksonException e) {
            throw ServeException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ServeException.badRequest("unreadable body: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ServeException.badRequest("body: expected a JSON object, got " + (root == null ? "nothing" : root.getNodeType()));
        }
        JsonNode id = root.get("id");
        if (id != null && !id.isTextual()) {
            throw ServeException.badRequest("id: expected a string, got " + id.getNodeType());
        }
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw ServeException.badRequest("inputs: expected a non-empty array, got "
                    + (inputs == null ? "nothing" : inputs.getNodeType()));
        }
        List<InferTensor> tensors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            tensors.add(tensor(i, inputs.get(i)));
        }
        List<String> outputs = new ArrayList<>();
        JsonNode out = root.get("outputs");
        if (out != null) {
            if (!out.isArray()) {
                throw ServeException.badRequest("outputs: expected an array, got " + out.getNodeType());
            }
            for (int i = 0; i < out.size(); i++) {
                JsonNode name = out.get(i).get("name");
                if (name == null || !name.isTextual()) {
                    throw ServeException.badRequest("outputs[" + i + "].name: expected a string");
                }
                outputs.add(name.asText());
            }
        }
        return new InferRequest(id == null ? null : id.asText(), List.copyOf(tensors), List.copyOf(outputs));
    }

    private static InferTensor tensor(int index, JsonNode t) {
        String field = "inputs[" + index + "]";
        if (!t.isObject()) {
            throw ServeException.badRequest(field + ": expected an object, got " + t.getNodeType());
        }
        String name = text(t, field + ".name");
        String datatype = text(t, field + ".datatype");
        if (!NUMERIC.contains(datatype) && !"BYTES".equals(datatype)) {
            throw ServeException.badRequest(field + ".datatype: expected one of the protocol's datatypes (FP32, INT64, BYTES, ...),"
                    + " got " + datatype);
        }
        JsonNode shapeNode = t.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw ServeException.badRequest(field + ".shape: expected an array of sizes");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            JsonNode s = shapeNode.get(d);
            if (!s.canConvertToLong() || !s.isIntegralNumber() || s.asLong() < 0) {
                throw ServeException.badRequest(field + ".shape[" + d + "]: expected a size >= 0, got " + s);
            }
            shape[d] = s.asLong();
            elements = Math.multiplyHigh(elements, shape[d]) != 0 ? Long.MAX_VALUE : elements * shape[d];
            if (elements > MAX_ELEMENTS) {
                throw ServeException.badRequest(field + ".shape: " + java.util.Arrays.toString(shape) + " has over "
                        + MAX_ELEMENTS + " elements");
            }
        }
        JsonNode data = t.get("data");
        if (data == null) {
            throw ServeException.badRequest(field + ".data: missing");
        }
        List<JsonNode> flat = new ArrayList<>();
        flatten(data, flat, field + ".data", 0);
        if (flat.size() != elements) {
            throw ServeException.badRequest(field + ".data: shape " + java.util.Arrays.toString(shape) + " needs " + elements
                    + " elements, got " + flat.size());
        }
        if ("BYTES".equals(datatype)) {
            List<String> strings = new ArrayList<>(flat.size());
            for (int k = 0; k < flat.size(); k++) {
                if (!flat.get(k).isTextual()) {
                    throw ServeException.badRequest(field + ".data[" + k + "]: BYTES elements must be strings, got "
                            + flat.get(k).getNodeType());
                }
                strings.add(flat.get(k).asText());
            }
            return new InferTensor(index, name, datatype, shape, null, strings);
        }
        double[] numbers = new double[flat.size()];
        for (int k = 0; k < numbers.length; k++) {
            JsonNode v = flat.get(k);
            if (v.isBoolean() && "BOOL".equals(datatype)) {
                numbers[k] = v.asBoolean() ? 1 : 0;
            } else if (!v.isNumber()) {
                throw ServeException.badRequest(field + ".data[" + k + "]: " + datatype + " elements must be numbers, got "
                        + v.getNodeType());
            } else {
                numbers[k] = v.asDouble();
                String range = outOfRange(datatype, numbers[k]);
                if (range != null) {
                    throw ServeException.badRequest(field + ".data[" + k + "]: expected " + range + ", got " + v.asText());
                }
            }
        }
        return new InferTensor(index, name, datatype, shape, numbers, null);
    }

    /**
     * What the floating-point {@code datatype} can hold, when {@code x} is not in it (null when it is, and
     * for the other datatypes): JSON numbers that overflow a float (1e999, or 1e39 for FP32) would
     * otherwise reach the model as infinities and come back as NaN outputs with a 200. Integer
     * datatypes are left to the model, whose datatype check names the mismatch first.
     */
    static String outOfRange(String datatype, double x) {
        return switch (datatype) {
            case "FP16" -> Math.abs(x) <= 65504 ? null : "a number within FP16's range (|x| <= 65504)";
            case "FP32" -> Math.abs(x) <= Float.MAX_VALUE ? null : "a number within FP32's range (|x| <= 3.4028235e38)";
            case "FP64" -> Double.isFinite(x) ? null : "a number within FP64's range";
            default -> null;
        };
    }

    private static void flatten(JsonNode node, List<JsonNode> out, String field, int depth) {
        if (!node.isArray()) {
            if (depth == 0) {
                throw ServeException.badRequest(field + ": expected an array, got " + node.getNodeType());
            }
            out.add(node);
            return;
        }
        if (out.size() + node.size() > MAX_ELEMENTS) {
            throw ServeException.badRequest(field + ": over " + MAX_ELEMENTS + " elements");
        }
        for (JsonNode child : node) {
            flatten(child, out, field, depth + 1);
        }
    }

    private static String text(JsonNode t, String field) {
        JsonNode v = t.get(field.substring(field.lastIndexOf('.') + 1));
        if (v == null || !v.isTextual()) {
            throw ServeException.badRequest(field + ": expected a string, got " + (v == null ? "nothing" : v.getNodeType()));
        }
        return v.asText();
    }
}
