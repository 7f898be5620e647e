package dev.kiln.data.stream;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The decompressed content of a gzip file (RFC 1952) made of one or more members, read member by
 * member. Common Crawl WARC/WET files are such concatenations, one record per member.
 *
 * <p>Stricter than {@link java.util.zip.GZIPInputStream}, which stops silently at bytes after a
 * member that do not start a new one, or at a member header cut short: here those are errors, so
 * a truncated download cannot pass for a complete file. Every member's CRC-32 and length are
 * checked. Errors are {@link MalformedDataException}s naming the source, the member number and
 * its compressed offset; everything decompressed before the error has been returned by then.
 */
public final class GzipMemberStream extends InputStream {
    private static final int FTEXT_RESERVED = 0xe0;
    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;

    private final InputStream raw;
    private final String source;
    private final byte[] in = new byte[1 << 16];
    private int inPos;
    private int inLen;
    private long bufferOffset; // compressed offset of in[0]
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] one = new byte[1];
    private int memberIndex = -1;
    private long memberOffset;
    private long memberOut;
    private boolean inMember;
    private boolean eof;
    private boolean closed;

    /**
     * Reads {@code raw}, which must start with a gzip member; {@code source} names it in errors.
     * Closing this stream closes {@code raw}.
     */
    public GzipMemberStream(InputStream raw, String source) {
        this.raw = Objects.requireNonNull(raw, "GzipMemberStream: raw");
        this.source = Objects.requireNonNull(source, "GzipMemberStream: source");
    }

    /** 0-based number of the member being read (-1 before the first byte is read). */
    public int memberIndex() {
        return memberIndex;
    }

    /** Compressed byte offset where the current member starts. */
    public long memberOffset() {
        return memberOffset;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException(source + ": stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember && !startMember()) {
                eof = true;
                break;
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw error("corrupt deflate data (" + e.getMessage() + ") after " + memberOut + " decompressed bytes");
            }
            if (n > 0) {
                crc.update(b, off, n);
                memberOut += n;
                if (inflater.finished()) {
                    // check the trailer now, before the caller sees the member's last bytes, and
                    // without touching the next member: with one WARC record per member, a record
                    // is only delivered once its CRC-32 has been verified
                    endMember();
                }
                return n;
            }
            if (inflater.finished()) {
                endMember();
            } else if (inflater.needsDictionary()) {
                throw error("deflate data asks for a preset dictionary, which gzip does not allow");
            } else if (inflater.needsInput()) {
                if (inPos == inLen && !fill()) {
                    throw error("the file ends inside the member, after " + memberOut
                            + " decompressed bytes (truncated file?)");
                }
                inflater.setInput(in, inPos, inLen - inPos);
                inPos = inLen; // handed to the inflater; what it leaves is recovered in endMember
            }
        }
        return -1;
    }

    /** Parses the next member's header; false at a clean end of input. */
    private boolean startMember() throws IOException {
        long start = bufferOffset + inPos;
        int id1 = rawByte();
        if (id1 < 0) {
            if (memberIndex < 0) {
                throw new MalformedDataException(source + ": empty file, expected gzip data");
            }
            return false;
        }
        memberIndex++;
        memberOffset = start;
        int id2 = rawByte();
        if (id1 != 0x1f || id2 != 0x8b) {
            throw error(memberIndex == 0
                    ? String.format("not gzip data (starts with 0x%02x)", id1)
                    : String.format("%d byte(s) after the last complete member do not start a gzip member "
                            + "(first byte 0x%02x; expected 0x1f 0x8b)", rawRemaining(id2 < 0 ? 1 : 2), id1));
        }
        int cm = headerByte();
        if (cm != 8) {
            throw error("compression method " + cm + ", expected 8 (deflate)");
        }
        int flags = headerByte();
        if ((flags & FTEXT_RESERVED) != 0) {
            throw error(String.format("reserved header flag bits set (flags 0x%02x)", flags));
        }
        for (int k = 0; k < 6; k++) {
            headerByte(); // MTIME, XFL, OS
        }
        if ((flags & FEXTRA) != 0) {
            int xlen = headerByte() | headerByte() << 8;
            for (int k = 0; k < xlen; k++) {
                headerByte();
            }
        }
        if ((flags & FNAME) != 0) {
            while (headerByte() != 0) {
                // zero-terminated file name
            }
        }
        if ((flags & FCOMMENT) != 0) {
            while (headerByte() != 0) {
                // zero-terminated comment
            }
        }
        if ((flags & FHCRC) != 0) {
            headerByte();
            headerByte();
        }
        inflater.reset();
        crc.reset();
        memberOut = 0;
        inMember = true;
        return true;
    }

    private void endMember() throws IOException {
        inPos = inLen - inflater.getRemaining();
        long storedCrc = 0;
        long storedSize = 0;
        for (int k = 0; k < 4; k++) {
            storedCrc |= (long) trailerByte() << (8 * k);
        }
        for (int k = 0; k < 4; k++) {
            storedSize |= (long) trailerByte() << (8 * k);
        }
        if (storedCrc != crc.getValue()) {
            throw error(String.format("CRC-32 mismatch: trailer says %08x, data gives %08x", storedCrc, crc.getValue()));
        }
        if (storedSize != (memberOut & 0xffffffffL)) {
            throw error("length mismatch: trailer says " + storedSize + " bytes (mod 2^32), decompressed " + memberOut);
        }
        inMember = false;
    }

    private int headerByte() throws IOException {
        int b = rawByte();
        if (b < 0) {
            throw error("the file ends inside the member's header (truncated file?)");
        }
        return b;
    }

    private int trailerByte() throws IOException {
        int b = rawByte();
        if (b < 0) {
            throw error("the file ends inside the member's 8-byte trailer (truncated file?)");
        }
        return b;
    }

    private int rawByte() throws IOException {
        if (inPos == inLen && !fill()) {
            return -1;
        }
        return in[inPos++] & 0xff;
    }

    /** Counts the bytes left in the input (for an error message), {@code alreadyRead} included. */
    private long rawRemaining(int alreadyRead) throws IOException {
        long n = alreadyRead + (inLen - inPos);
        while (fill()) {
            n += inLen;
            inPos = inLen;
        }
        return n;
    }

    private boolean fill() throws IOException {
        bufferOffset += inLen;
        inPos = 0;
        inLen = 0;
        int n = raw.readNBytes(in, 0, in.length);
        inLen = n;
        return n > 0;
    }

    private MalformedDataException error(String what) {
        return new MalformedDataException(source + ": gzip member #" + memberIndex + " (at compressed offset "
                + memberOffset + "): " + what);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            inflater.end();
            raw.close();
        }
    }
}
