package dev.kiln.nn.io;

import dev.kiln.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The JSON header of a safetensors file: how the reference implementation (huggingface/safetensors,
 * Rust {@code tensor.rs}) lays it out when writing, and every check it makes when reading.
 *
 * <p>Layout written: {@code {"__metadata__":{...},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[b,e]},...}}
 * in compact JSON (no whitespace), tensors in data order, then spaces up to a multiple of 8 bytes
 * so the data section starts 8-byte aligned. Data order is the reference's: dtype descending in its
 * enum order (which is roughly alignment: I64, F64, F32, I32, BF16, F16, I8, BOOL), then name by
 * UTF-8 bytes; so every tensor is aligned to its element size.
 */
final class SafetensorsHeader {
    /** The reference's limit (MAX_HEADER_SIZE); a larger length is a corrupt or hostile file. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    /** Safetensors dtypes that exist in the format but have no Kiln counterpart. */
    private static final Set<String> UNSUPPORTED = Set.of("U8", "I16", "U16", "U32", "U64", "F8_E5M2", "F8_E4M3",
            "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F4", "F6_E2M3", "F6_E3M2", "C64");

    /** One tensor's header entry; offsets are relative to the start of the data section. */
    record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        long numel() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A parsed and validated header: entries in data order, metadata (null when absent) in file order. */
    record Parsed(List<Entry> entries, Map<String, String> metadata) {}

    private SafetensorsHeader() {}

    // ---------------------------------------------------------------- dtypes

    /** The format's code for {@code t} (Kiln's dtype names are the format's codes). */
    static String code(DType t) {
        return switch (t) {
            case F64 -> "F64";
            case F32 -> "F32";
            case F16 -> "F16";
            case BF16 -> "BF16";
            case I64 -> "I64";
            case I32 -> "I32";
            case I8 -> "I8";
            case BOOL -> "BOOL";
        };
    }

    /** Position in the reference's {@code Dtype} enum, restricted to Kiln's dtypes (it sorts by it, descending). */
    static int referenceRank(DType t) {
        return switch (t) {
            case BOOL -> 0;
            case I8 -> 1;
            case F16 -> 2;
            case BF16 -> 3;
            case I32 -> 4;
            case F32 -> 5;
            case F64 -> 6;
            case I64 -> 7;
        };
    }

    /** The reference's data order: dtype rank descending, then name by UTF-8 bytes (Rust's str order). */
    static final Comparator<Map.Entry<String, DType>> DATA_ORDER = (a, b) -> {
        int byType = Integer.compare(referenceRank(b.getValue()), referenceRank(a.getValue()));
        return byType != 0 ? byType
                : Arrays.compareUnsigned(a.getKey().getBytes(StandardCharsets.UTF_8), b.getKey().getBytes(StandardCharsets.UTF_8));
    };

    // ---------------------------------------------------------------- writing

    /**
     * The header bytes (padded with spaces to a multiple of 8) for {@code entries} in data order.
     * Metadata keys are written sorted by UTF-8 bytes: the reference writes them in its hash map's
     * random order, so sorting is the only deterministic choice, and it matches the reference
     * byte for byte whenever there is at most one key.
     */
    static byte[] encode(List<Entry> entries, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder(64 + 80 * entries.size());
        sb.append('{');
        boolean first = true;
        if (metadata != null) {
            Map<byte[], Map.Entry<String, String>> sorted = new TreeMap<>(Arrays::compareUnsigned);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                sorted.put(e.getKey().getBytes(StandardCharsets.UTF_8), e);
            }
            Json.writeString(sb, METADATA_KEY);
            sb.append(":{");
            boolean firstKey = true;
            for (Map.Entry<String, String> e : sorted.values()) {
                if (!firstKey) {
                    sb.append(',');
                }
                firstKey = false;
                Json.writeString(sb, e.getKey());
                sb.append(':');
                Json.writeString(sb, e.getValue());
            }
            sb.append('}');
            first = false;
        }
        for (Entry e : entries) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            Json.writeString(sb, e.name());
            sb.append(":{\"dtype\":\"").append(code(e.dtype())).append("\",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(e.shape()[i]);
            }
            sb.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
        }
        sb.append('}');
        byte[] json;
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(sb));
            json = new byte[b.remaining()];
            b.get(json);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("safetensors: a tensor name or metadata string is not valid Unicode "
                    + "(it holds an unpaired surrogate), so it cannot be written as UTF-8");
        }
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Decodes and validates {@code header} (the N bytes after the length) for a file whose data
     * section holds {@code dataBytes} bytes. Every problem throws a {@link SafetensorsFormatException}
     * whose message starts with {@code where} (the file).
     */
    static Parsed decode(byte[] header, long dataBytes, String where) throws SafetensorsFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(where, "the header is not valid UTF-8");
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsFormatException(where, "the header does not start with '{' (got "
                    + (text.isEmpty() ? "an empty header" : "'" + printable(text.charAt(0)) + "'") + ")");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new SafetensorsFormatException(where, "the header is not valid JSON: " + e.getMessage());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> top = (Map<String, Object>) root; // starts with '{', so it parsed as an object

        Map<String, String> metadata = null;
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> kv : top.entrySet()) {
            if (kv.getKey().equals(METADATA_KEY)) {
                metadata = metadata(kv.getValue(), where);
            } else {
                entries.add(entry(kv.getKey(), kv.getValue(), where));
            }
        }
        validateOffsets(entries, dataBytes, where);
        return new Parsed(entries, metadata);
    }

    private static Map<String, String> metadata(Object v, String where) throws SafetensorsFormatException {
        if (v == Json.NULL) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new SafetensorsFormatException(where, "\"" + METADATA_KEY + "\" must be an object of strings, got "
                    + describe(v));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(where, "\"" + METADATA_KEY + "\" value of key \"" + e.getKey()
                        + "\" must be a string, got " + describe(e.getValue()));
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static Entry entry(String name, Object v, String where) throws SafetensorsFormatException {
        String what = "tensor '" + name + "'";
        if (!(v instanceof Map<?, ?> info)) {
            throw new SafetensorsFormatException(where, what + ": expected an object with dtype, shape and "
                    + "data_offsets, got " + describe(v));
        }
        Object dt = info.get("dtype");
        Object sh = info.get("shape");
        Object off = info.get("data_offsets");
        for (String field : List.of("dtype", "shape", "data_offsets")) {
            if (!info.containsKey(field)) {
                throw new SafetensorsFormatException(where, what + ": missing field \"" + field + "\"");
            }
        }
        if (!(dt instanceof String code)) {
            throw new SafetensorsFormatException(where, what + ": dtype must be a string, got " + describe(dt));
        }
        DType dtype = dtype(code, what, where);

        if (!(sh instanceof List<?> dims)) {
            throw new SafetensorsFormatException(where, what + ": shape must be an array of non-negative integers, got "
                    + describe(sh));
        }
        int[] shape = new int[dims.size()];
        long numel = 1; // saturates at Long.MAX_VALUE; a zero dimension makes it 0 whatever came before
        boolean empty = false;
        for (int i = 0; i < shape.length; i++) {
            Object d = dims.get(i);
            if (!(d instanceof Long n) || n < 0) {
                throw new SafetensorsFormatException(where, what + ": shape must be an array of non-negative integers, "
                        + "got " + describe(d) + " at index " + i);
            }
            if (n > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(where, what + ": dimension " + i + " has size " + n
                        + ", more than Kiln's limit of " + Integer.MAX_VALUE);
            }
            shape[i] = (int) (long) n;
            empty |= n == 0;
            numel = n == 0 ? numel : (numel > Long.MAX_VALUE / n ? Long.MAX_VALUE : numel * n);
        }
        numel = empty ? 0 : numel;
        if (numel > Integer.MAX_VALUE) {
            throw new SafetensorsFormatException(where, what + ": shape " + Arrays.toString(shape) + " has "
                    + (numel == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(numel))
                    + " elements, more than Kiln's limit of " + Integer.MAX_VALUE);
        }

        if (!(off instanceof List<?> pair) || pair.size() != 2 || !(pair.get(0) instanceof Long b)
                || !(pair.get(1) instanceof Long e) || b < 0 || e < 0) {
            throw new SafetensorsFormatException(where, what + ": data_offsets must be [begin, end] with non-negative "
                    + "integers, got " + describe(off));
        }
        if (e < b) {
            throw new SafetensorsFormatException(where, what + ": data_offsets [" + b + ", " + e + "] end before they begin");
        }
        long expected = numel * dtype.byteSize();
        if (e - b != expected) {
            throw new SafetensorsFormatException(where, what + ": data_offsets [" + b + ", " + e + "] span " + (e - b)
                    + " bytes but " + code + " " + Arrays.toString(shape) + " needs " + numel + " x "
                    + dtype.byteSize() + " = " + expected + " bytes");
        }
        return new Entry(name, dtype, shape, b, e);
    }

    private static DType dtype(String code, String what, String where) throws SafetensorsFormatException {
        return switch (code) {
            case "F64" -> DType.F64;
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I64" -> DType.I64;
            case "I32" -> DType.I32;
            case "I8" -> DType.I8;
            case "BOOL" -> DType.BOOL;
            default -> throw new SafetensorsFormatException(where, what + ": "
                    + (UNSUPPORTED.contains(code) ? "dtype " + code + " is not supported by Kiln"
                            : "unknown dtype \"" + code + "\"")
                    + " (Kiln reads F64, F32, F16, BF16, I64, I32, I8 and BOOL)");
        };
    }

    /**
     * Sorts {@code entries} by offsets (writers other than the reference may list them in any
     * order) and checks that they tile the data section exactly: no overlap, no hole, nothing past
     * the end and nothing left over.
     */
    private static void validateOffsets(List<Entry> entries, long dataBytes, String where)
            throws SafetensorsFormatException {
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin() < expected) {
                throw new SafetensorsFormatException(where, "tensor '" + e.name() + "' data_offsets [" + e.begin() + ", "
                        + e.end() + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "]");
            }
            if (e.begin() > expected) {
                throw new SafetensorsFormatException(where, "bytes [" + expected + ", " + e.begin() + ") of the data "
                        + "section belong to no tensor (a hole before tensor '" + e.name() + "')");
            }
            expected = e.end();
            previous = e;
        }
        if (expected > dataBytes) {
            throw new SafetensorsFormatException(where, "the file is truncated: the header describes " + expected
                    + " bytes of tensor data but the file holds only " + dataBytes);
        }
        if (expected < dataBytes) {
            throw new SafetensorsFormatException(where, "the data section holds " + dataBytes + " bytes but the "
                    + "tensors cover only " + expected + " (" + (dataBytes - expected) + " trailing bytes)");
        }
    }

    private static String describe(Object v) {
        String s = switch (v) {
            case null -> "nothing";
            case String str -> "string \"" + str + "\"";
            case Map<?, ?> _ -> "an object";
            case List<?> l -> "array " + l;
            default -> v == Json.NULL ? "null" : v.toString();
        };
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("U+%04X", (int) c);
    }
}
