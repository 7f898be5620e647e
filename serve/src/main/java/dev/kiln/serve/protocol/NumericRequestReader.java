package dev.kiln.serve.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.model.InferTensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One pass over the tokens of the common infer request, numeric tensors only, with the numbers
 * going straight into a {@code double[]}: no {@code JsonNode} per element and no flattened node
 * list. Measured by {@code kiln bench serve} (FP32 images, 784 numbers a request): parsing fell from
 * 15% to 9-11% of the busy server's CPU samples; what is left is mostly the decimal conversions.
 *
 * <p>It accepts a subset of what {@link InferRequest#parse} accepts and gives the same request for
 * it; anything else — BYTES or BOOL-as-boolean data, a field given twice, a wrong type anywhere,
 * malformed JSON, a size check that fails — makes it answer null, and the tree parser then reads
 * the body again and words the error. Bad requests are rare and pay twice; good ones pay once.
 */
final class NumericRequestReader {
    private NumericRequestReader() {}

    /** The request in {@code body}, or null when the tree parser must decide. */
    static InferRequest read(byte[] body, ObjectMapper json) {
        try (JsonParser p = json.createParser(body)) {
            // Same parser features as the tree path, so numbers convert to the same doubles.
            p.enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER.mappedFeature());
            return request(p);
        } catch (IOException e) { // malformed JSON or a constraint (JacksonException is an IOException)
            return null;
        }
    }

    private static InferRequest request(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        String id = null;
        List<InferTensor> inputs = null;
        List<RequestedOutput> outputs = null;
        boolean idSeen = false;
        Flag binaryDataOutput = null;
        Map<String, Object> modelParameters = new java.util.LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "id" -> {
                    if (idSeen || value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    idSeen = true;
                    id = p.getText();
                }
                case "inputs" -> {
                    if (inputs != null || (inputs = inputs(p, value)) == null) {
                        return null;
                    }
                }
                case "outputs" -> {
                    if (outputs != null || (outputs = outputs(p, value)) == null) {
                        return null;
                    }
                }
                case "parameters" -> {
                    if (binaryDataOutput != null || (binaryDataOutput = flag(p, value, "binary_data_output", modelParameters)) == Flag.REFUSED) {
                        return null;
                    }
                }
                default -> p.skipChildren(); // fields the protocol does not define: the tree path ignores them too
            }
        }
        // The loop ends on END_OBJECT: anything else would have been a parse error, thrown above.
        if (inputs == null) {
            return null;
        }
        Map<String, Boolean> binaryData = new HashMap<>();
        if (outputs != null) {
            for (RequestedOutput o : outputs) {
                if (o.binaryData() != Flag.ABSENT) {
                    binaryData.put(o.name(), o.binaryData() == Flag.TRUE);
                }
            }
        }
        return new InferRequest(id, inputs, outputs == null ? List.of() : outputs.stream().map(RequestedOutput::name).toList(),
                binaryDataOutput == Flag.TRUE, binaryData, modelParameters);
    }

    /** An output the request names, with its {@code parameters.binary_data}. */
    private record RequestedOutput(String name, Flag binaryData) {}

    /** A boolean parameter as read: not given, true, false, or something the tree parser must word a refusal for. */
    private enum Flag {
        ABSENT, TRUE, FALSE, REFUSED
    }

    /**
     * The boolean {@code key} of the parameters object the parser is on ({@code value} its first token);
     * {@link Flag#REFUSED} when it is not an object, has the key twice or not as a boolean. Other keys are skipped,
     * or, given {@code others} (the request's own parameters, which the model may read), read into it as the
     * tree parser does (JSON nulls dropped; a key given twice is left to the tree parser).
     */
    private static Flag flag(JsonParser p, JsonToken value, String key, Map<String, Object> others) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            return Flag.REFUSED;
        }
        Flag flag = Flag.ABSENT;
        for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
            boolean isKey = key.equals(p.currentName());
            JsonToken v = p.nextToken();
            if (!isKey && others != null) {
                String name = p.currentName();
                if (others.containsKey(name)) {
                    return Flag.REFUSED;
                }
                Object read = p.readValueAs(Object.class);
                if (read != null) {
                    others.put(name, read);
                }
            } else if (!isKey) {
                p.skipChildren();
            } else if (flag != Flag.ABSENT || (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE)) {
                return Flag.REFUSED;
            } else {
                flag = v == JsonToken.VALUE_TRUE ? Flag.TRUE : Flag.FALSE;
            }
        }
        return flag;
    }

    private static List<InferTensor> inputs(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            return null;
        }
        List<InferTensor> inputs = new ArrayList<>(1);
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            InferTensor tensor = t == JsonToken.START_OBJECT ? tensor(p, inputs.size()) : null;
            if (tensor == null) {
                return null;
            }
            inputs.add(tensor);
        }
        return inputs.isEmpty() ? null : inputs;
    }

    private static List<RequestedOutput> outputs(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            return null;
        }
        List<RequestedOutput> names = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.START_OBJECT) {
                return null;
            }
            String name = null;
            Flag binaryData = null;
            for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if ("name".equals(field)) {
                    if (name != null || v != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    name = p.getText();
                } else if ("parameters".equals(field)) {
                    if (binaryData != null || (binaryData = flag(p, v, "binary_data", null)) == Flag.REFUSED) {
                        return null;
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (name == null) {
                return null;
            }
            names.add(new RequestedOutput(name, binaryData == null ? Flag.ABSENT : binaryData));
        }
        return names;
    }

    /** One numeric input tensor; the parser is on its START_OBJECT. */
    private static InferTensor tensor(JsonParser p, int index) throws IOException {
        String name = null;
        String datatype = null;
        long[] shape = null;
        double[] data = null;
        boolean parametersSeen = false;
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "name" -> {
                    if (name != null || value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    name = p.getText();
                }
                case "datatype" -> {
                    if (datatype != null || value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    datatype = p.getText();
                }
                case "shape" -> {
                    if (shape != null || (shape = shape(p, value)) == null) {
                        return null;
                    }
                }
                case "data" -> {
                    if (data != null || (data = numbers(p, value)) == null) {
                        return null;
                    }
                }
                case "parameters" -> {
                    // binary_data_size in a JSON body, or parameters that are not an object: the tree parser refuses them.
                    if (parametersSeen || flag(p, value, "binary_data_size", null) != Flag.ABSENT) {
                        return null;
                    }
                    parametersSeen = true;
                }
                default -> p.skipChildren();
            }
        }
        if (name == null || datatype == null || !InferRequest.NUMERIC.contains(datatype) || shape == null || data == null
                || elements(shape) != data.length) {
            return null;
        }
        double limit = switch (datatype) { // InferRequest.outOfRange's bounds, hoisted out of the loop
            case "FP16" -> 65504;
            case "FP32" -> Float.MAX_VALUE;
            case "FP64" -> Double.MAX_VALUE;
            default -> Double.POSITIVE_INFINITY;
        };
        for (double x : data) {
            if (!(Math.abs(x) <= limit)) {
                return null; // out of the datatype's range: the tree parser names the element and the range
            }
        }
        return new InferTensor(index, name, datatype, shape, data, null);
    }

    private static long[] shape(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            return null;
        }
        long[] shape = new long[4];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    || p.getLongValue() < 0) {
                return null;
            }
            if (n == shape.length) {
                shape = Arrays.copyOf(shape, 2 * n);
            }
            shape[n++] = p.getLongValue();
        }
        return Arrays.copyOf(shape, n);
    }

    /** The shape's product, or -1 when it is over {@link InferRequest#MAX_ELEMENTS}. */
    private static long elements(long[] shape) {
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyHigh(elements, d) != 0 ? Long.MAX_VALUE : elements * d;
            if (elements > InferRequest.MAX_ELEMENTS) {
                return -1;
            }
        }
        return elements;
    }

    /** Flat or nested arrays of numbers, row-major; null at the first element that is not a number or array. */
    private static double[] numbers(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            return null;
        }
        double[] data = new double[1024];
        int n = 0;
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
                if (n == data.length) {
                    if (n >= InferRequest.MAX_ELEMENTS) {
                        return null;
                    }
                    data = Arrays.copyOf(data, 2 * n);
                }
                data[n++] = p.getDoubleValue();
            } else if (t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_ARRAY) {
                depth--;
            } else {
                return null;
            }
        }
        return Arrays.copyOf(data, n);
    }
}
