package dev.kiln.serve.model;

import java.util.List;

/**
 * A classifier the server runs: it turns one request's input tensors into {@link Examples} (where
 * the protocol's shape and datatype checks happen), and runs the concatenated examples of a batch
 * in one forward pass. Outputs are the class logits; the server derives probabilities and labels.
 *
 * <p>Thread-safety: {@link #prepare} may run on any request thread; {@link #logits} runs on one
 * batcher thread at a time.
 */
public interface ServedModel {
    /** Which kiln train app made it: {@code cnn} or {@code classify}. */
    String app();

    /** The inputs a request must send. */
    List<TensorSpec> inputs();

    /** Number of classes (the logits' second dimension). */
    int classes();

    /** The class names, by label. */
    List<String> classNames();

    /**
     * Checks {@code inputs} against {@link #inputs()} and converts them into model rows.
     *
     * @throws dev.kiln.serve.ServeException (400) naming the field when a tensor is missing, extra,
     *     or of the wrong datatype, shape or size
     */
    Examples prepare(List<InferTensor> inputs);

    /**
     * Runs the examples of {@code batch} in one forward pass; logits of all rows, in order, as
     * {@code [sum of rows, classes]} row-major. Each row's result does not depend on the others.
     */
    float[] logits(List<Examples> batch);
}
