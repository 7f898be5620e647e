package dev.kiln.serve.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpException;

/**
 * Request bodies every route reads the same way: bytes read under the server's limits and checked
 * to be UTF-8, then one JSON object, or a refusal saying what came instead.
 */
public final class JsonBodies {
    /** Arrays and objects nested deeper than this are refused (a tensor's nested rows need one level per dimension). */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Characters in one JSON string at most (a BYTES input or a prompt; the body limit bounds them too). */
    public static final int MAX_STRING_LENGTH = 4 << 20;
    /** Characters in one JSON number at most (a double needs at most 24; a long 20). */
    public static final int MAX_NUMBER_LENGTH = 100;
    /** Characters in one object key at most. */
    public static final int MAX_NAME_LENGTH = 1024;

    private JsonBodies() {}

    /**
     * A mapper whose parsers refuse, with a {@link JacksonException} as soon as they read it, input
     * nested deeper than {@link #MAX_NESTING_DEPTH}, or strings, numbers and keys longer than the
     * limits above: a hostile body costs a 400, not a deep stack or a huge allocation.
     */
    public static ObjectMapper boundedMapper() {
        StreamReadConstraints limits = StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH)
                .maxStringLength(MAX_STRING_LENGTH).maxNumberLength(MAX_NUMBER_LENGTH).maxNameLength(MAX_NAME_LENGTH).build();
        return new ObjectMapper(JsonFactory.builder().streamReadConstraints(limits).build());
    }

    /**
     * The whole body of {@code ctx}, as a {@link ServeException} whatever goes wrong while it arrives:
     * 413 over the size limit, 408 when it comes slower than the minimum rate ({@link MinimumBodyRate})
     * or stalls for the idle timeout, 400 when the client
     * closes the connection before all of it came. Routes read bodies through here so that their
     * metrics record the status the client was given. A declared {@code Content-Length} over
     * {@code maxBytes} is refused before a byte is read; a chunked body, once it passes the limit
     * (Javalin's {@code maxRequestSize}, set to the same number). The bytes must be UTF-8 ({@link #checkUtf8}).
     */
    public static byte[] bytes(Context ctx, long maxBytes) {
        byte[] body = rawBytes(ctx, maxBytes);
        checkUtf8(body, body.length);
        return body;
    }

    /**
     * The whole body of {@code ctx} as {@link #bytes} reads it, but not checked to be UTF-8: for bodies
     * whose JSON part is followed by binary data, the caller checks the JSON part with {@link #checkUtf8(byte[], int)}.
     */
    public static byte[] rawBytes(Context ctx, long maxBytes) {
        if (ctx.contentLength() > maxBytes) {
            throw new ServeException(413, "body: " + ctx.contentLength() + " bytes is over the limit of " + maxBytes);
        }
        byte[] body;
        try {
            body = ctx.bodyAsBytes();
        } catch (HttpResponseException e) {
            if (e.getStatus() == 413) {
                throw new ServeException(413, "body: over the limit of " + maxBytes + " bytes");
            }
            throw new ServeException(e.getStatus(), "body: " + e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof HttpException h) { // Jetty's refusal while reading, such as 408 for a body that trickles in
                throw new ServeException(h.getCode(), "body: " + h.getReason());
            }
            throw e;
        } catch (Exception e) { // Javalin (Kotlin) lets the servlet stream's IOException through undeclared
            if (!(e instanceof IOException)) {
                throw new IllegalStateException("body: cannot read it: " + e, e);
            }
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof HttpException h) { // MinimumBodyRate's 408 comes wrapped in the stream's IOException
                    throw new ServeException(h.getCode(), "body: " + h.getReason());
                }
                if (c instanceof TimeoutException) {
                    throw new ServeException(408, "body: no bytes arrived within the idle timeout");
                }
            }
            throw ServeException.badRequest("body: the connection failed before the whole body arrived (" + e + ")");
        }
        return body;
    }

    /**
     * Refuses a body that is not well-formed UTF-8 (RFC 8259 makes it JSON's only encoding), with the
     * offset and value of the first bad byte. Jackson alone lets overlong forms and encoded surrogates
     * through into strings, where they would reach a tokenizer as garbage characters.
     *
     * @throws ServeException 400 naming the first bad byte
     */
    public static void checkUtf8(byte[] body) {
        checkUtf8(body, body.length);
    }

    /** {@link #checkUtf8(byte[])} for the first {@code length} bytes of {@code body}. */
    public static void checkUtf8(byte[] body, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body, 0, length);
        CharBuffer scratch = CharBuffer.allocate(8192); // decoded text is thrown away: only validity matters
        while (true) {
            CoderResult r = decoder.decode(in, scratch, true);
            if (r.isError()) {
                throw ServeException.badRequest(String.format(Locale.ROOT,
                        "body: invalid UTF-8 at byte %d (0x%02X): expected well-formed UTF-8 text", in.position(),
                        body[in.position()] & 0xFF));
            }
            if (r.isUnderflow()) {
                return;
            }
            scratch.clear();
        }
    }

    /**
     * {@code body} parsed by {@code json} as a JSON object.
     *
     * @throws ServeException 400 for malformed or unreadable JSON (invalid UTF-8, nesting or sizes
     *     over the limits of {@link #boundedMapper} included), or a body that is not an object
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
