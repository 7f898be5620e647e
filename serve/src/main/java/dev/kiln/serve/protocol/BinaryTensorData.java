package dev.kiln.serve.protocol;

import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.OutputTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensor bytes of the binary tensor data extension (Triton's, adopted by KServe v2): little-endian,
 * row-major, no padding, each element in its datatype's native size (BOOL one byte, 0 or 1); a BYTES
 * element is a 4-byte little-endian unsigned length followed by that many bytes.
 *
 * <p>A request body is the JSON header, whose length the {@value #HEADER_LENGTH} HTTP header gives,
 * followed by the bytes of each input that carries {@code parameters.binary_data_size}, in input order.
 * A response with binary outputs is laid out the same way.
 */
public final class BinaryTensorData {
    /** The HTTP header giving the length in bytes of the JSON part of a body that carries binary tensors. */
    public static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    /** The Content-Type of a body that carries binary tensors. */
    public static final String CONTENT_TYPE = "application/octet-stream";

    private BinaryTensorData() {}

    /** Bytes per element of a numeric {@code datatype}. */
    static int elementSize(String datatype) {
        return switch (datatype) {
            case "BOOL", "INT8", "UINT8" -> 1;
            case "FP16", "INT16", "UINT16" -> 2;
            case "FP32", "INT32", "UINT32" -> 4;
            case "FP64", "INT64", "UINT64" -> 8;
            default -> throw new IllegalArgumentException("elementSize: not a numeric datatype: " + datatype);
        };
    }

    /**
     * {@code elements} numbers of {@code datatype} read from {@code in} ({@code elements × elementSize}
     * bytes, checked by the caller); 400 naming {@code field} for a BOOL byte other than 0 or 1 and for
     * floats outside their datatype's finite range (NaN and infinities would come back as NaN outputs).
     */
    static double[] numbers(ByteBuffer in, String datatype, int elements, String field) {
        double[] x = new double[elements];
        switch (datatype) {
            case "FP32" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getFloat();
                }
            }
            case "FP64" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getDouble();
                }
            }
            case "FP16" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = Float.float16ToFloat(in.getShort());
                }
            }
            case "INT8" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.get();
                }
            }
            case "UINT8" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.get() & 0xFF;
                }
            }
            case "BOOL" -> {
                for (int k = 0; k < elements; k++) {
                    int b = in.get() & 0xFF;
                    if (b > 1) {
                        throw ServeException.badRequest(field + " binary data, element " + k
                                + ": expected a BOOL byte 0 or 1, got " + b);
                    }
                    x[k] = b;
                }
            }
            case "INT16" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getShort();
                }
            }
            case "UINT16" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getShort() & 0xFFFF;
                }
            }
            case "INT32" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getInt();
                }
            }
            case "UINT32" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getInt() & 0xFFFF_FFFFL;
                }
            }
            case "INT64" -> {
                for (int k = 0; k < elements; k++) {
                    x[k] = in.getLong();
                }
            }
            case "UINT64" -> {
                for (int k = 0; k < elements; k++) {
                    long v = in.getLong();
                    // Top bit set: halve (keeping the low bit, so rounding is still to nearest) to convert as signed.
                    x[k] = v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
                }
            }
            default -> throw new IllegalArgumentException("numbers: not a numeric datatype: " + datatype);
        }
        if (datatype.startsWith("FP")) {
            for (int k = 0; k < elements; k++) {
                String range = InferRequest.outOfRange(datatype, x[k]);
                if (range != null) {
                    throw ServeException.badRequest(field + " binary data, element " + k + ": expected " + range
                            + ", got " + x[k]);
                }
            }
        }
        return x;
    }

    /**
     * {@code elements} BYTES elements filling exactly {@code size} bytes of {@code in}, as UTF-8 strings;
     * 400 naming {@code field} when a length runs past the tensor's bytes, the count or the total does
     * not match, or an element is not UTF-8.
     */
    static List<String> strings(ByteBuffer in, int elements, long size, String field) {
        int end = in.position() + (int) size;
        List<String> out = new ArrayList<>(elements);
        var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int k = 0; k < elements; k++) {
            if (end - in.position() < 4) {
                throw ServeException.badRequest(field + ".parameters.binary_data_size: " + size + " bytes hold only " + k
                        + " of the shape's " + elements + " BYTES elements (each a 4-byte length, then its bytes)");
            }
            long length = in.getInt() & 0xFFFF_FFFFL;
            if (length > end - in.position()) {
                throw ServeException.badRequest(field + " binary data, element " + k + ": length " + length + " runs past the "
                        + size + " bytes of parameters.binary_data_size (" + (end - in.position()) + " left)");
            }
            ByteBuffer bytes = in.slice(in.position(), (int) length);
            in.position(in.position() + (int) length);
            try {
                CharBuffer text = utf8.decode(bytes);
                out.add(text.toString());
            } catch (CharacterCodingException e) {
                throw ServeException.badRequest(field + " binary data, element " + k + ": expected UTF-8 text");
            }
        }
        if (in.position() != end) {
            throw ServeException.badRequest(field + ".parameters.binary_data_size: expected " + (size - (end - in.position()))
                    + " bytes for the shape's " + elements + " BYTES elements, got " + size);
        }
        return out;
    }

    /** The bytes of {@code t}'s data in this extension's layout. */
    public static byte[] encode(OutputTensor t) {
        if (t.f32() != null) {
            ByteBuffer b = ByteBuffer.allocate(4 * t.f32().length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.f32());
            return b.array();
        }
        if (t.i64() != null) {
            ByteBuffer b = ByteBuffer.allocate(8 * t.i64().length).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(t.i64());
            return b.array();
        }
        List<byte[]> parts = t.text().stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        ByteBuffer b = ByteBuffer.allocate(parts.stream().mapToInt(p -> 4 + p.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] p : parts) {
            b.putInt(p.length).put(p);
        }
        return b.array();
    }

    /** {@code body} from {@code offset} as a little-endian buffer. */
    static ByteBuffer littleEndian(byte[] body, int offset) {
        return ByteBuffer.wrap(body, offset, body.length - offset).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
}
