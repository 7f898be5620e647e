package dev.kiln.serve.model;

import dev.kiln.serve.ServeException;
import java.util.Arrays;
import java.util.List;

/**
 * The protocol checks the served models share: one named input, its datatype and its shape; each
 * throws a 400 {@link ServeException} naming the field.
 */
public final class InputChecks {
    private InputChecks() {}

    /** The single input named {@code spec.name()}; 400 when it is missing or others are sent. */
    public static InferTensor single(List<InferTensor> inputs, TensorSpec spec) {
        if (inputs.size() != 1) {
            throw ServeException.badRequest("inputs: expected exactly 1 tensor (" + spec + "), got " + inputs.size());
        }
        InferTensor t = inputs.getFirst();
        if (!spec.name().equals(t.name())) {
            throw ServeException.badRequest(t.field() + ".name: expected \"" + spec.name() + "\", got \"" + t.name() + "\"");
        }
        if (!spec.datatype().equals(t.datatype())) {
            throw ServeException.badRequest(t.field() + ".datatype: expected " + spec.datatype() + ", got " + t.datatype());
        }
        return t;
    }

    /** Checks {@code actual} against {@code expected} (-1 matches any positive size) and returns the batch size. */
    public static int batchSize(InferTensor t, long[] expected) {
        long[] actual = t.shape();
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < actual.length; i++) {
            ok = expected[i] == -1 ? actual[i] >= 1 : actual[i] == expected[i];
        }
        if (!ok) {
            throw ServeException.badRequest(t.field() + ".shape: expected " + Arrays.toString(expected).replace("-1", "N")
                    + " with N >= 1, got " + Arrays.toString(actual));
        }
        return Math.toIntExact(actual[0]);
    }
}
