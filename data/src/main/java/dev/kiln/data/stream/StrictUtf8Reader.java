package dev.kiln.data.stream;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Characters of a UTF-8 byte stream, decoded strictly: the characters before an invalid sequence
 * are returned first, then the next read throws {@link MalformedDataException} naming the source,
 * the byte offset and the byte (and keeps throwing it). A leading byte order mark is dropped.
 *
 * <p>Used to feed the XML parser, whose own decoder prints "[Fatal Error]" to stderr on a bad
 * byte before throwing.
 */
public final class StrictUtf8Reader extends Reader {
    private final InputStream in;
    private final String source;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).flip(); // empty, in read mode
    private long bufferOffset; // stream offset of bytes.array()[0]
    private boolean eof;
    private boolean flushed;
    private boolean started;
    private MalformedDataException pending;

    /** Decodes {@code in}; {@code source} names it in errors. Closing this reader closes {@code in}. */
    public StrictUtf8Reader(InputStream in, String source) {
        this.in = Objects.requireNonNull(in, "StrictUtf8Reader: in");
        this.source = Objects.requireNonNull(source, "StrictUtf8Reader: source");
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, cbuf.length);
        if (pending != null) {
            throw pending;
        }
        if (len == 0) {
            return 0;
        }
        CharBuffer out = CharBuffer.wrap(cbuf, off, len);
        while (true) {
            CoderResult r = decoder.decode(bytes, out, eof);
            if (r.isError()) {
                int at = bytes.position();
                pending = new MalformedDataException(String.format("%s: invalid UTF-8 at byte offset %d (byte 0x%02x)",
                        source, bufferOffset + at, bytes.get(at) & 0xff));
                if (out.position() > off) {
                    return produced(cbuf, off, out);
                }
                throw pending;
            }
            if (out.position() > off) {
                int n = produced(cbuf, off, out);
                if (n > 0) {
                    return n;
                }
                continue; // only a byte order mark so far
            }
            if (eof) {
                if (!flushed) {
                    flushed = true;
                    decoder.flush(out);
                    if (out.position() > off) {
                        return out.position() - off;
                    }
                }
                return -1;
            }
            bufferOffset += bytes.position();
            bytes.compact(); // keeps a partial sequence at the end
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                eof = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
        }
    }

    /** Characters decoded into {@code cbuf[off, out.position())}, minus a leading byte order mark. */
    private int produced(char[] cbuf, int off, CharBuffer out) {
        int n = out.position() - off;
        if (!started) {
            started = true;
            if (cbuf[off] == '\uFEFF') {
                System.arraycopy(cbuf, off + 1, cbuf, off, n - 1);
                out.position(out.position() - 1);
                n--;
            }
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
