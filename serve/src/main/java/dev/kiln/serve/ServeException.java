package dev.kiln.serve;

/**
 * A request the server refuses, with the HTTP status it answers and a message naming the field
 * ({@code {"error": message}} on the wire): 400 for malformed or ill-shaped input, 404 for an
 * unknown model or version, 413 for a body over the limit, 429 when a model's queue is full.
 */
public final class ServeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /** A refusal with HTTP {@code status} (4xx or 5xx) and a message naming the field at fault. */
    public ServeException(int status, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("ServeException: status must be 4xx or 5xx, got " + status);
        }
        this.status = status;
    }

    /** The HTTP status code. */
    public int status() {
        return status;
    }

    /** A 400: the request is malformed or does not fit the model. */
    public static ServeException badRequest(String message) {
        return new ServeException(400, message);
    }

    /** A 404: no such model or version. */
    public static ServeException notFound(String message) {
        return new ServeException(404, message);
    }
}
