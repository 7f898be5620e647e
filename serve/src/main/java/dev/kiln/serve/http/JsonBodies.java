package dev.kiln.serve.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import java.io.IOException;

/** Request bodies every route reads the same way: one JSON object, or a 400 saying what came instead. */
public final class JsonBodies {
    private JsonBodies() {}

    /**
     * {@code body} parsed by {@code json} as a JSON object.
     *
     * @throws ServeException 400 for malformed or unreadable JSON, or a body that is not an object
     */
    public static JsonNode object(byte[] body, ObjectMapper json) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw ServeException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ServeException.badRequest("unreadable body: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ServeException.badRequest("body: expected a JSON object, got " + (root == null ? "nothing" : root.getNodeType()));
        }
        return root;
    }
}
