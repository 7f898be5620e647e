package dev.kiln.serve.model;

import java.util.List;
import java.util.Map;

/**
 * A model the server runs over KServe v2: it turns one request's input tensors into
 * {@link Examples} (where the protocol's shape and datatype checks happen), and runs the examples
 * of several requests in one batch, answering each request with its own output tensors.
 *
 * <p>Thread-safety: {@link #prepare} may run on any request thread; {@link #run} runs on one
 * batcher thread at a time. A request's outputs must not depend on which other requests share
 * its batch (the server promises batched results identical to unbatched ones).
 */
public interface ServedModel {
    /** Which kiln train app made it: {@code cnn}, {@code rnn}, {@code classify}, {@code gpt} or {@code seq2seq}. */
    String app();

    /** The inputs a request must send. */
    List<TensorSpec> inputs();

    /** The outputs a response can hold, all of them unless the request names some. */
    List<TensorSpec> outputs();

    /** Extra metadata for {@code GET /v2/models/NAME} ({@code parameters}), e.g. class names; JSON-able values. */
    default Map<String, Object> parameters() {
        return Map.of();
    }

    /**
     * Checks {@code inputs} against {@link #inputs()} and converts them into model rows.
     *
     * @throws dev.kiln.serve.ServeException (400) naming the field when a tensor is missing, extra,
     *     or of the wrong datatype, shape or size
     */
    Examples prepare(List<InferTensor> inputs);

    /**
     * {@link #prepare(List)} for a request that also carries KServe {@code parameters} (the
     * request-level object, as plain Java values; the protocol leaves their meaning to the server).
     * Models without parameters of their own ignore them; a model that reads one names it in a 400
     * when its value is wrong ({@code parameters.max_tokens: ...}).
     */
    default Examples prepare(List<InferTensor> inputs, Map<String, Object> parameters) {
        return prepare(inputs);
    }

    /**
     * Runs the examples of {@code batch} (one entry per request) together; the outputs of each
     * request, in the order of {@code batch}, each list in the order of {@link #outputs()}.
     */
    List<List<OutputTensor>> run(List<Examples> batch);
}
