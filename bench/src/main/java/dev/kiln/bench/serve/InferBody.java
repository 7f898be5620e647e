package dev.kiln.bench.serve;

import java.util.Arrays;

/**
 * One infer request body as the load generators post it: its bytes, its {@code Content-Type}, and
 * for the binary tensor data extension the length of its JSON part, sent as the
 * {@code Inference-Header-Content-Length} header.
 *
 * @param bytes the whole body
 * @param contentType {@code application/json}, or {@code application/octet-stream} with binary data
 * @param jsonLength the JSON part's length in bytes, or -1 for a body of JSON alone (no header sent)
 */
record InferBody(byte[] bytes, String contentType, int jsonLength) {
    /** The request header naming the JSON part's length. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    /** A body of JSON alone. */
    static InferBody json(byte[] json) {
        return new InferBody(json, "application/json", -1);
    }

    /** A JSON part followed by tensor bytes. */
    static InferBody binary(byte[] json, byte[] tensors) {
        byte[] all = Arrays.copyOf(json, json.length + tensors.length);
        System.arraycopy(tensors, 0, all, json.length, tensors.length);
        return new InferBody(all, "application/octet-stream", json.length);
    }

    /** Whether the {@link #HEADER_LENGTH} header goes with it. */
    boolean binary() {
        return jsonLength >= 0;
    }
}
