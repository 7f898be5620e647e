package dev.kiln.serve.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

/**
 * How every route answers: a JSON body with its status, errors as {@code {"error": "..."}}.
 *
 * <p>Thread-safety: immutable; the mapper is shared (Jackson mappers are thread-safe once configured).
 */
public final class JsonResponses {
    private final ObjectMapper json;

    /** Answers with bodies written by {@code json}. */
    public JsonResponses(ObjectMapper json) {
        this.json = json;
    }

    /** The mapper requests are parsed with. */
    public ObjectMapper mapper() {
        return json;
    }

    /** A new empty JSON object. */
    public ObjectNode object() {
        return json.createObjectNode();
    }

    /** {@code {"error": message}}. */
    public ObjectNode error(String message) {
        return object().put("error", message);
    }

    /** Sends {@code body} with {@code status}. */
    public void send(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON response", e);
        }
    }
}
