package dev.kiln.data.stream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Lines of bytes from a stream, undecoded: line breaks (LF, or CRLF) are found on bytes, which is
 * safe for UTF-8 because no multi-byte sequence contains 0x0a or 0x0d, and each line can then be
 * validated and decoded on its own, so one bad byte costs one record, not the file. Also reads
 * exact byte counts, for formats (WARC) that mix header lines with length-prefixed blocks.
 *
 * <p>A line longer than the limit given to {@link #nextLine(int)} is read past without being
 * stored, and flagged: a file without line breaks cannot exhaust the heap.
 */
public final class ByteLineReader implements Closeable {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private long bufferOffset; // offset of buf[0] in the stream
    private boolean eof;

    private byte[] line = new byte[1024];
    private int lineLength;
    private boolean lineTooLong;
    private long lineNumber;
    private long lineStart;

    /** Reads {@code in} (already decompressed); closing this reader closes it. */
    public ByteLineReader(InputStream in) {
        this.in = Objects.requireNonNull(in, "ByteLineReader: in");
    }

    /**
     * Reads the next line, without its terminator (LF, or CR LF). A last line without a
     * terminator counts when it is not empty.
     *
     * @param maxBytes the longest line kept; a longer one is consumed, {@link #lineTooLong()}
     *     is set and only its first {@code maxBytes} bytes are kept
     * @return false at the end of input
     */
    public boolean nextLine(int maxBytes) throws IOException {
        lineLength = 0;
        lineTooLong = false;
        lineStart = offset();
        boolean any = false;
        while (true) {
            if (pos == lim && !fill()) {
                if (!any) {
                    return false;
                }
                break;
            }
            any = true;
            int start = pos;
            int nl = -1;
            for (int i = pos; i < lim; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? lim : nl;
            append(start, end - start, maxBytes);
            pos = nl < 0 ? lim : nl + 1;
            if (nl >= 0) {
                break;
            }
        }
        if (lineLength > 0 && line[lineLength - 1] == '\r' && !lineTooLong) {
            lineLength--;
        }
        lineNumber++;
        return true;
    }

    private void append(int from, int n, int maxBytes) {
        int room = maxBytes - lineLength;
        if (n > room) {
            lineTooLong = true;
            n = Math.max(room, 0);
        }
        if (n == 0) {
            return;
        }
        if (lineLength + n > line.length) {
            line = Arrays.copyOf(line, Math.max(lineLength + n, Math.min(maxBytes, 2 * line.length)));
        }
        System.arraycopy(buf, from, line, lineLength, n);
        lineLength += n;
    }

    /** The bytes of the current line: {@code lineBytes()[0, lineLength())}. Overwritten by the next call. */
    public byte[] lineBytes() {
        return line;
    }

    public int lineLength() {
        return lineLength;
    }

    /** True when the current line was longer than the limit and has been cut. */
    public boolean lineTooLong() {
        return lineTooLong;
    }

    /** 1-based number of the current line (counting only lines read by {@link #nextLine}). */
    public long lineNumber() {
        return lineNumber;
    }

    /** Byte offset (in the decompressed stream) where the current line starts. */
    public long lineStart() {
        return lineStart;
    }

    /** Bytes consumed so far. */
    public long offset() {
        return bufferOffset + pos;
    }

    /** The next byte without consuming it, or -1 at the end of input. */
    public int peek() throws IOException {
        if (pos == lim && !fill()) {
            return -1;
        }
        return buf[pos] & 0xff;
    }

    /** Reads up to {@code len} bytes into {@code dst}; returns how many (fewer only at the end of input). */
    public int readFully(byte[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        int done = 0;
        while (done < len) {
            if (pos == lim && !fill()) {
                break;
            }
            int n = Math.min(len - done, lim - pos);
            System.arraycopy(buf, pos, dst, off + done, n);
            pos += n;
            done += n;
        }
        return done;
    }

    /** Skips up to {@code n} bytes; returns how many (fewer only at the end of input). */
    public long skipFully(long n) throws IOException {
        long done = 0;
        while (done < n) {
            if (pos == lim && !fill()) {
                break;
            }
            int k = (int) Math.min(n - done, lim - pos);
            pos += k;
            done += k;
        }
        return done;
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        bufferOffset += lim;
        pos = 0;
        lim = 0;
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            eof = true;
            return false;
        }
        lim = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
