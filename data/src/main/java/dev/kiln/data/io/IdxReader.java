package dev.kiln.data.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipException;

/**
 * Reads IDX files, plain or gzipped. Layout (big-endian): two zero bytes, the type byte (0x08
 * unsigned byte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double), the number of
 * dimensions, one 32-bit size per dimension, then the elements row-major. Everything is checked:
 * magic, type, sizes, and that the data is exactly as long as the header says.
 */
public final class IdxReader {
    /** Arrays above this many bytes cannot be held in one Java array. */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 16;

    private IdxReader() {}

    /** Reads {@code file}. @throws MalformedDataException naming the file and what is wrong */
    public static IdxArray read(Path file) throws IOException {
        try (InputStream in = DataFiles.open(file)) {
            return read(in, file.toString());
        } catch (ZipException | EOFException e) {
            throw new MalformedDataException(file + ": corrupt or truncated gzip data: " + e.getMessage(), e);
        }
    }

    /** Reads an IDX stream; {@code source} names it in error messages. */
    public static IdxArray read(InputStream in, String source) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new MalformedDataException(source + ": not an IDX file: only " + head.length + " bytes, the header needs 4");
        }
        if (head[0] != 0 || head[1] != 0) {
            throw new MalformedDataException(String.format(
                    "%s: not an IDX file: magic number starts with %02x %02x, expected 00 00", source, head[0], head[1]));
        }
        IdxArray.Type type = IdxArray.Type.of(head[2] & 0xff);
        if (type == null) {
            throw new MalformedDataException(String.format(
                    "%s: unknown IDX type byte 0x%02x (expected 08, 09, 0b, 0c, 0d or 0e)", source, head[2] & 0xff));
        }
        int rank = head[3] & 0xff;
        if (rank == 0) {
            throw new MalformedDataException(source + ": IDX header declares 0 dimensions");
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new MalformedDataException(source + ": truncated IDX header: " + rank + " dimensions need "
                    + 4 * rank + " bytes of sizes, found " + dimBytes.length);
        }
        int[] dims = new int[rank];
        long bytes = type.bytes();
        for (int d = 0; d < rank; d++) {
            dims[d] = ((dimBytes[4 * d] & 0xff) << 24) | ((dimBytes[4 * d + 1] & 0xff) << 16)
                    | ((dimBytes[4 * d + 2] & 0xff) << 8) | (dimBytes[4 * d + 3] & 0xff);
            if (dims[d] < 0) {
                throw new MalformedDataException(source + ": IDX dimension " + d + " is " + (dims[d] & 0xffffffffL)
                        + ", too large");
            }
            bytes *= dims[d];
            if (bytes > MAX_BYTES) {
                throw new MalformedDataException(source + ": IDX dims " + Arrays.toString(dims)
                        + " describe more than 2 GiB of data");
            }
        }
        byte[] data = in.readNBytes((int) bytes);
        if (data.length < bytes) {
            throw new MalformedDataException(source + ": truncated: header declares " + Arrays.toString(dims) + " "
                    + type + " = " + bytes + " data bytes, found only " + data.length);
        }
        long extra = 0;
        while (in.read() >= 0) {
            extra++;
            if (extra > 1 << 20) {
                break;
            }
        }
        if (extra > 0) {
            throw new MalformedDataException(source + ": " + (extra > 1 << 20 ? "over 1 MiB" : extra + " bytes")
                    + " of trailing data after the " + bytes + " bytes that dims " + Arrays.toString(dims) + " " + type
                    + " declare");
        }
        return new IdxArray(type, dims, data);
    }
}
