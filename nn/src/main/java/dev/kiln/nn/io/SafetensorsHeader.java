package dev.kiln.nn.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kiln.tensor.DType;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
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

    /**
     * Writes what serde_json writes: compact, {@code \\u00xx} escapes in lower-case hex, {@code /}
     * and non-ASCII as themselves.
     */
    private static final JsonFactory WRITER = JsonFactory.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
            .disable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    /** Strict RFC 8259 with serde_json's nesting limit (128) and duplicate keys refused at every level. */
    private static final JsonMapper READER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(128).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

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
        StringWriter sw = new StringWriter(64 + 80 * entries.size());
        try (JsonGenerator g = WRITER.createGenerator(sw)) {
            g.writeStartObject();
            if (metadata != null) {
                Map<byte[], Map.Entry<String, String>> sorted = new TreeMap<>(Arrays::compareUnsigned);
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    sorted.put(e.getKey().getBytes(StandardCharsets.UTF_8), e);
                }
                g.writeObjectFieldStart(METADATA_KEY);
                for (Map.Entry<String, String> e : sorted.values()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            for (Entry e : entries) {
                g.writeObjectFieldStart(e.name());
                g.writeStringField("dtype", code(e.dtype()));
                g.writeArrayFieldStart("shape");
                for (int d : e.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(e.begin());
                g.writeNumber(e.end());
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("safetensors: writing the header to memory failed", e);
        }
        StringBuffer sb = sw.getBuffer();
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
        return decode(header, 0, dataBytes, where);
    }

    /**
     * {@link #decode(byte[], long, String)} for a file of {@code fileBytes} bytes whose data section
     * starts at {@code dataStart}, so that a truncation is reported in the file's own byte counts.
     */
    static Parsed decode(byte[] header, long dataStart, long fileBytes, String where) throws SafetensorsFormatException {
        long dataBytes = fileBytes - dataStart;
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
        Map<String, String> metadata = null;
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (JsonParser p = READER.createParser(text)) {
            p.nextToken(); // '{': checked above
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    throw new JsonParseException(p, "unexpected " + t + ", expected a string key");
                }
                String key = p.currentName();
                if (!seen.add(key)) {
                    throw new JsonParseException(p, "duplicate key \"" + key + "\"");
                }
                p.nextToken();
                JsonNode value = READER.readTree(p);
                if (key.equals(METADATA_KEY)) {
                    metadata = metadata(value, where);
                } else {
                    entries.add(entry(checkUnicode(key, where), value, where));
                }
            }
            if (p.nextToken() != null) {
                throw new JsonParseException(p, "unexpected " + p.currentToken() + " after the top-level value");
            }
        } catch (SafetensorsFormatException e) {
            throw e;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new SafetensorsFormatException(where, "the header is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " at character " + at.getCharOffset()));
        } catch (IOException e) {
            throw new UncheckedIOException("safetensors: reading the header from memory failed", e);
        }
        validateOffsets(entries, dataStart, dataBytes, where);
        return new Parsed(entries, metadata);
    }

    private static Map<String, String> metadata(JsonNode v, String where) throws SafetensorsFormatException {
        if (v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new SafetensorsFormatException(where, "\"" + METADATA_KEY + "\" must be an object of strings, got "
                    + describe(v));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsFormatException(where, "\"" + METADATA_KEY + "\" value of key \"" + e.getKey()
                        + "\" must be a string, got " + describe(e.getValue()));
            }
            out.put(checkUnicode(e.getKey(), where), checkUnicode(e.getValue().textValue(), where));
        }
        return out;
    }

    private static Entry entry(String name, JsonNode info, String where) throws SafetensorsFormatException {
        String what = "tensor '" + name + "'";
        if (!info.isObject()) {
            throw new SafetensorsFormatException(where, what + ": expected an object with dtype, shape and "
                    + "data_offsets, got " + describe(info));
        }
        for (String field : List.of("dtype", "shape", "data_offsets")) {
            if (!info.has(field)) {
                throw new SafetensorsFormatException(where, what + ": missing field \"" + field + "\"");
            }
        }
        JsonNode dt = info.get("dtype");
        JsonNode dims = info.get("shape");
        JsonNode off = info.get("data_offsets");
        if (!dt.isTextual()) {
            throw new SafetensorsFormatException(where, what + ": dtype must be a string, got " + describe(dt));
        }
        String code = dt.textValue();
        DType dtype = dtype(code, what, where);

        if (!dims.isArray()) {
            throw new SafetensorsFormatException(where, what + ": shape must be an array of non-negative integers, got "
                    + describe(dims));
        }
        int[] shape = new int[dims.size()];
        long numel = 1; // saturates at Long.MAX_VALUE; a zero dimension makes it 0 whatever came before
        boolean empty = false;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = dims.get(i);
            if (!isLong(d) || d.longValue() < 0) {
                throw new SafetensorsFormatException(where, what + ": shape must be an array of non-negative integers, "
                        + "got " + describe(d) + " at index " + i);
            }
            long n = d.longValue();
            if (n > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(where, what + ": dimension " + i + " has size " + n
                        + ", more than Kiln's limit of " + Integer.MAX_VALUE);
            }
            shape[i] = (int) n;
            empty |= n == 0;
            numel = n == 0 ? numel : (numel > Long.MAX_VALUE / n ? Long.MAX_VALUE : numel * n);
        }
        numel = empty ? 0 : numel;
        if (numel > Integer.MAX_VALUE) {
            throw new SafetensorsFormatException(where, what + ": shape " + Arrays.toString(shape) + " has "
                    + (numel == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(numel))
                    + " elements, more than Kiln's limit of " + Integer.MAX_VALUE);
        }

        if (!off.isArray() || off.size() != 2 || !isLong(off.get(0)) || !isLong(off.get(1))
                || off.get(0).longValue() < 0 || off.get(1).longValue() < 0) {
            throw new SafetensorsFormatException(where, what + ": data_offsets must be [begin, end] with non-negative "
                    + "integers, got " + describe(off));
        }
        long b = off.get(0).longValue();
        long e = off.get(1).longValue();
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

    /** An integer that fits in 64 bits (what the reference's {@code usize} fields accept, sign aside). */
    private static boolean isLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong();
    }

    /**
     * {@code s} unless it holds an unpaired surrogate: Jackson decodes a lone {@code \\ud800}
     * escape, but the reference (serde_json) rejects it, and such a name could not be written back.
     */
    private static String checkUnicode(String s, String where) throws SafetensorsFormatException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                i++;
            } else if (Character.isSurrogate(c)) {
                String message = String.format("lone surrogate \\u%04x in string \"%s\"", (int) c, s);
                throw new SafetensorsFormatException(where, "the header is not valid JSON: " + message);
            }
        }
        return s;
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
    private static void validateOffsets(List<Entry> entries, long dataStart, long dataBytes, String where)
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
            throw new SafetensorsFormatException(where, "the file is truncated (expected " + (dataStart + expected)
                    + " bytes, found " + (dataStart + dataBytes) + ")");
        }
        if (expected < dataBytes) {
            throw new SafetensorsFormatException(where, "the data section holds " + dataBytes + " bytes but the "
                    + "tensors cover only " + expected + " (" + (dataBytes - expected) + " trailing bytes)");
        }
    }

    private static String describe(JsonNode v) {
        String s = v.isTextual() ? "string \"" + v.textValue() + "\""
                : v.isObject() ? "an object"
                : v.isArray() ? "array " + v
                : v.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("U+%04X", (int) c);
    }
}
