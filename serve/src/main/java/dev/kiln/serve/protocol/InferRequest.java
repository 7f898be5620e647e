package dev.kiln.serve.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.InferTensor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A KServe v2 infer request body: {@code {"id"?, "inputs": [{"name", "datatype", "shape", "data"}],
 * "outputs"?: [{"name", "parameters"?: {"binary_data"?}}], "parameters"?: {"binary_data_output"?}}}.
 * Data may be flat or nested row-major arrays; its element count must equal the shape's product.
 * With the binary tensor data extension ({@link BinaryTensorData}) an input carries
 * {@code "parameters": {"binary_data_size": N}} instead of {@code data}, and its bytes follow the JSON.
 * Every refusal is a 400 naming the field.
 *
 * @param id the request id echoed in the response, or null
 * @param inputs the input tensors, in order
 * @param outputs the output names asked for (empty: all)
 * @param binaryDataOutput whether outputs come back as binary data unless {@code binaryData} says otherwise
 *     (the request's {@code parameters.binary_data_output})
 * @param binaryData per output name, its {@code parameters.binary_data} where the request gave one
 * @param parameters the request's other {@code parameters} (all but {@code binary_data_output}), as plain
 *     Java values (Number, String, Boolean, List, Map) for the model to read; empty when none
 */
public record InferRequest(String id, List<InferTensor> inputs, List<String> outputs, boolean binaryDataOutput,
        Map<String, Boolean> binaryData, Map<String, Object> parameters) {
    static final Set<String> NUMERIC = Set.of("FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
            "UINT32", "UINT64", "BOOL");
    /** Elements one request may carry, whatever the byte limit: a shape product over it is refused before any allocation. */
    static final long MAX_ELEMENTS = 1L << 26;

    /** A request whose outputs all come back as JSON. */
    public InferRequest(String id, List<InferTensor> inputs, List<String> outputs) {
        this(id, inputs, outputs, false, Map.of(), Map.of());
    }

    /** A request without parameters for the model. */
    public InferRequest(String id, List<InferTensor> inputs, List<String> outputs, boolean binaryDataOutput,
                        Map<String, Boolean> binaryData) {
        this(id, inputs, outputs, binaryDataOutput, binaryData, Map.of());
    }

    /** Copies the lists and the maps (parameters' values as given: JSON null becomes a missing key). */
    public InferRequest {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        binaryData = Map.copyOf(binaryData);
        parameters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
    }

    /** Whether output {@code name} comes back as binary data: its own {@code binary_data}, else the request's default. */
    public boolean binaryOutput(String name) {
        return binaryData.getOrDefault(name, binaryDataOutput);
    }

    /** Parses a JSON {@code body}. */
    public static InferRequest parse(byte[] body, ObjectMapper json) {
        InferRequest numeric = NumericRequestReader.read(body, json);
        return numeric != null ? numeric : parseTree(body, json);
    }

    /**
     * Parses a body of the binary tensor data extension: {@code jsonLength} bytes of JSON (see
     * {@link #jsonLength}), then the bytes of the inputs that carry {@code binary_data_size}, in order,
     * filling the rest of the body exactly.
     */
    public static InferRequest parseBinary(byte[] body, int jsonLength, ObjectMapper json) {
        return parseTree(body, jsonLength, BinaryTensorData.littleEndian(body, jsonLength), json);
    }

    /**
     * The JSON part's length that the {@value BinaryTensorData#HEADER_LENGTH} header's {@code value}
     * gives for a body of {@code bodyLength} bytes: 400 when it is not a number from 1 to the body's length.
     */
    public static int jsonLength(String value, int bodyLength) {
        String v = value.strip();
        String field = BinaryTensorData.HEADER_LENGTH + " header";
        if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ServeException.badRequest(field + ": expected the JSON part's length in bytes (a decimal number), got \""
                    + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "\"");
        }
        long n = Long.parseLong(v);
        if (n == 0) {
            throw ServeException.badRequest(field + ": expected the JSON part's length in bytes, got 0 (a raw binary request"
                    + " without JSON, which this server does not take)");
        }
        if (n > bodyLength) {
            throw ServeException.badRequest(field + ": expected at most the body's " + bodyLength + " bytes, got " + n);
        }
        return (int) n;
    }

    /** Parses a JSON {@code body} through a Jackson tree: every request, and the wording of every refusal. */
    static InferRequest parseTree(byte[] body, ObjectMapper json) {
        return parseTree(body, body.length, null, json);
    }

    /** The tree parser over the first {@code jsonLength} bytes; {@code binary}: the bytes after them, or null for JSON alone. */
    private static InferRequest parseTree(byte[] body, int jsonLength, ByteBuffer binary, ObjectMapper json) {
        JsonNode root;
        try (JsonParser parser = json.createParser(body, 0, jsonLength)) {
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
            tensors.add(tensor(i, inputs.get(i), binary));
        }
        if (binary != null && binary.hasRemaining()) {
            throw ServeException.badRequest("body: the inputs' parameters.binary_data_size add up to " + binary.position()
                    + " bytes, but " + binary.limit() + " bytes follow the JSON part (" + BinaryTensorData.HEADER_LENGTH + " "
                    + jsonLength + ")");
        }
        List<String> outputs = new ArrayList<>();
        Map<String, Boolean> binaryData = new HashMap<>();
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
                Boolean flag = flag(out.get(i), "binary_data", "outputs[" + i + "]");
                if (flag != null) {
                    binaryData.put(name.asText(), flag);
                }
            }
        }
        Boolean binaryDataOutput = flag(root, "binary_data_output", null);
        Map<String, Object> modelParameters = new java.util.LinkedHashMap<>();
        JsonNode params = parameters(root, "parameters");
        if (params != null) {
            for (var e : params.properties()) {
                if (!e.getKey().equals("binary_data_output") && !e.getValue().isNull()) {
                    modelParameters.put(e.getKey(), json.convertValue(e.getValue(), Object.class));
                }
            }
        }
        return new InferRequest(id == null ? null : id.asText(), tensors, outputs, Boolean.TRUE.equals(binaryDataOutput),
                binaryData, modelParameters);
    }

    /** {@code node.parameters.key}, a boolean, or null when absent; {@code field} names {@code node} (null: the request). */
    private static Boolean flag(JsonNode node, String key, String field) {
        String at = field == null ? "parameters" : field + ".parameters";
        JsonNode params = parameters(node, at);
        JsonNode v = params == null ? null : params.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ServeException.badRequest(at + "." + key + ": expected true or false, got " + v);
        }
        return v.asBoolean();
    }

    /** {@code node.parameters}, or null when absent; 400 naming {@code field} when it is not an object. */
    private static JsonNode parameters(JsonNode node, String field) {
        JsonNode params = node.get("parameters");
        if (params != null && !params.isObject()) {
            throw ServeException.badRequest(field + ": expected an object, got " + params.getNodeType());
        }
        return params;
    }

    private static InferTensor tensor(int index, JsonNode t, ByteBuffer binary) {
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
        JsonNode params = parameters(t, field + ".parameters");
        JsonNode binarySize = params == null ? null : params.get("binary_data_size");
        JsonNode data = t.get("data");
        if (binarySize != null) {
            return binaryTensor(index, name, datatype, shape, (int) elements, binarySize, data != null, binary);
        }
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

    /** An input whose data are {@code binarySize} bytes of {@code binary}, which it consumes. */
    private static InferTensor binaryTensor(int index, String name, String datatype, long[] shape, int elements,
            JsonNode binarySize, boolean hasData, ByteBuffer binary) {
        String field = "inputs[" + index + "]";
        String sizeField = field + ".parameters.binary_data_size";
        if (hasData) {
            throw ServeException.badRequest(field + ": expected either data or parameters.binary_data_size, got both");
        }
        if (binary == null) {
            throw ServeException.badRequest(sizeField + ": binary data needs the " + BinaryTensorData.HEADER_LENGTH
                    + " header (the length of the body's JSON part), got a body without it");
        }
        if (!binarySize.isIntegralNumber() || !binarySize.canConvertToLong() || binarySize.asLong() < 0) {
            throw ServeException.badRequest(sizeField + ": expected a byte count >= 0, got " + binarySize);
        }
        long size = binarySize.asLong();
        if (size > binary.remaining()) {
            throw ServeException.badRequest(sizeField + ": " + size + " bytes, but only " + binary.remaining()
                    + " bytes of binary data are left in the body");
        }
        if ("BYTES".equals(datatype)) {
            return new InferTensor(index, name, datatype, shape, null, BinaryTensorData.strings(binary, elements, size, field));
        }
        int each = BinaryTensorData.elementSize(datatype);
        if (size != (long) elements * each) {
            throw ServeException.badRequest(sizeField + ": expected " + (long) elements * each + " bytes (shape "
                    + java.util.Arrays.toString(shape) + " of " + datatype + ", " + each + " bytes each), got " + size);
        }
        return new InferTensor(index, name, datatype, shape, BinaryTensorData.numbers(binary, datatype, elements, field), null);
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
