package dev.kiln.serve.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The "instances" form of a prediction request (Vertex AI's body, and SageMaker's JSON and CSV
 * bodies here), mapped onto a model's KServe tensors, one instance per example:
 * <ul>
 *   <li>an instance is the value of the model's one input for one example — the cnn's 28x28 pixels
 *       (nested arrays of any shape holding height x width numbers: [[...28]...28], or 784 flat),
 *       the rnn's window of numbers, the text of a classify or seq2seq run — or an object
 *       {@code {"INPUT_NAME": value}} (the only form for a model with several inputs);</li>
 *   <li>a prediction is an object with every output's value for that example: {@code label} (a
 *       number), {@code probabilities} and {@code logits} (arrays) for classifiers, {@code forecast}
 *       for the rnn, {@code phonemes} for seq2seq.</li>
 * </ul>
 * Errors name the instance ({@code instances[3]}) with the expected and the actual value.
 */
final class Instances {
    private Instances() {}

    /** The model's input tensors for {@code instances} (field names them in errors, e.g. "instances"). */
    static List<InferTensor> tensors(ServedModel model, List<JsonNode> instances, String field) {
        if (instances.isEmpty()) {
            throw ServeException.badRequest(field + ": expected at least one instance, got none");
        }
        List<TensorSpec> specs = model.inputs();
        List<InferTensor> out = new ArrayList<>();
        for (int t = 0; t < specs.size(); t++) {
            TensorSpec spec = specs.get(t);
            long[] dims = Arrays.copyOfRange(spec.shape(), 1, spec.shape().length);
            boolean text = spec.datatype().equals("BYTES");
            List<String> strings = text ? new ArrayList<>() : null;
            List<Double> numbers = text ? null : new ArrayList<>();
            int perInstance = -1;
            for (int i = 0; i < instances.size(); i++) {
                String where = field + "[" + i + "]";
                JsonNode value = value(instances.get(i), spec, specs.size(), where);
                if (text) {
                    if (!value.isTextual()) {
                        throw ServeException.badRequest(where + ": expected a string (input " + spec.name() + "), got "
                                + value.getNodeType());
                    }
                    strings.add(value.asText());
                    continue;
                }
                int before = numbers.size();
                flatten(value, numbers, where);
                int count = numbers.size() - before;
                long expected = product(dims);
                if (expected >= 0 ? count != expected : perInstance >= 0 && count != perInstance) {
                    throw ServeException.badRequest(where + ": expected " + (expected >= 0 ? expected : perInstance)
                            + " numbers (input " + spec.name() + ", shape " + Arrays.toString(dims) + " per instance), got " + count);
                }
                perInstance = count;
            }
            long[] shape = new long[dims.length + 1];
            shape[0] = instances.size();
            for (int d = 0; d < dims.length; d++) {
                shape[d + 1] = dims[d] >= 0 ? dims[d] : perInstance; // one free dimension at most in kiln's models
            }
            out.add(new InferTensor(t, spec.name(), spec.datatype(), shape,
                    text ? null : numbers.stream().mapToDouble(Double::doubleValue).toArray(), strings));
        }
        return out;
    }

    private static JsonNode value(JsonNode instance, TensorSpec spec, int inputs, String where) {
        if (instance.isObject()) {
            JsonNode v = instance.get(spec.name());
            if (v == null) {
                throw ServeException.badRequest(where + "." + spec.name() + ": expected the input " + spec.name()
                        + ", got an object without it");
            }
            return v;
        }
        if (inputs > 1) {
            throw ServeException.badRequest(where + ": expected an object naming each input, got " + instance.getNodeType());
        }
        return instance;
    }

    private static void flatten(JsonNode node, List<Double> out, String where) {
        if (node.isNumber()) {
            out.add(node.doubleValue());
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(node.get(i), out, where + "[" + i + "]");
            }
        } else {
            throw ServeException.badRequest(where + ": expected a number or an array of numbers, got " + node.getNodeType()
                    + (node.isTextual() ? " \"" + node.asText() + "\"" : ""));
        }
    }

    private static long product(long[] dims) {
        long p = 1;
        for (long d : dims) {
            if (d < 0) {
                return -1;
            }
            p *= d;
        }
        return p;
    }

    /** One prediction per instance: every output's values for that instance, by output name. */
    static ArrayNode predictions(List<OutputTensor> outputs, int instances, ObjectMapper json) {
        ArrayNode list = json.createArrayNode();
        for (int i = 0; i < instances; i++) {
            ObjectNode p = list.addObject();
            for (OutputTensor t : outputs) {
                p.set(t.name(), row(t, i, instances));
            }
        }
        return list;
    }

    /** {@code t}'s values for instance {@code i}: a scalar when it has one per instance, else a flat array. */
    static JsonNode row(OutputTensor t, int i, int instances) {
        int length = t.f32() != null ? t.f32().length : t.i64() != null ? t.i64().length : t.text().size();
        int per = length / instances;
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (t.shape().length == 1) {
            return t.f32() != null ? f.numberNode(t.f32()[i]) : t.i64() != null ? f.numberNode(t.i64()[i]) : f.textNode(t.text().get(i));
        }
        ArrayNode a = f.arrayNode(per);
        for (int k = i * per; k < (i + 1) * per; k++) {
            if (t.f32() != null) {
                a.add(t.f32()[k]);
            } else if (t.i64() != null) {
                a.add(t.i64()[k]);
            } else {
                a.add(t.text().get(k));
            }
        }
        return a;
    }
}
