package dev.kiln.serve.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error responses as {@code {"error": "..."}}: the ones it sends before any route runs
 * (a bad request line or header, headers over the size limit 431, a URI too long 414, an invalid
 * {@code Content-Length}, ...) and any that escape the servlet. Jetty's stock handler writes HTML
 * (or nothing at all for methods other than GET, POST and HEAD); a client of the inference API
 * must get the same JSON shape from every error, whoever raised it. No stack traces, no causes: the
 * message is Jetty's reason, which names what was wrong ("Request header too large", "Bad
 * Content-Length", ...).
 *
 * <p>Thread-safety: stateless.
 */
public final class JsonErrorHandler extends ErrorHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A handler that never shows stacks or causes. */
    public JsonErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
    }

    @Override
    public boolean errorPageForMethod(String method) {
        return true; // every method gets its JSON body, PUT and DELETE and nonsense methods included
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) throws java.io.IOException {
        String reason = HttpStatus.getMessage(code);
        if (cause != null && message != null && message.equals(cause.toString())) {
            message = cause.getMessage(); // the reason without the exception's class name
        }
        String text = message == null || message.isBlank() || message.equals(reason) ? reason : reason + ": " + message;
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(Map.of("error", text))), callback);
    }
}
