package dev.kiln.data.stream;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * JSON Lines (gzipped or not), streamed: one JSON object per line, parsed by {@link JsonFiles} (strict
 * RFC 8259). Blank lines are passed over silently. A line that is not valid UTF-8 (under the
 * default {@link Utf8Policy#REPORT}), not valid JSON, not an object, or longer than the limit is a
 * counted skip naming the line and column; reading goes on with the next line.
 */
public final class JsonlReader implements RecordReader<Map<String, Object>> {
    private static final String PARSE_SOURCE = "line"; // Json's messages start "line:1:<col>: "

    private final String source;
    private final ByteLineReader lines;
    private final Utf8Policy policy;
    private final int maxLineBytes;
    private final SkipReport skips;
    private String location = "";

    private JsonlReader(Path file, Utf8Policy policy, int maxLineBytes) throws IOException {
        this.source = file.toString();
        this.policy = Objects.requireNonNull(policy, "JsonlReader: policy");
        if (maxLineBytes <= 0) {
            throw new IllegalArgumentException("JsonlReader: maxLineBytes must be > 0, got " + maxLineBytes);
        }
        this.maxLineBytes = maxLineBytes;
        this.skips = new SkipReport(source);
        this.lines = new ByteLineReader(InputFiles.open(file));
    }

    /** Reads {@code file} with invalid UTF-8 lines skipped and lines up to {@link PlainTextReader#DEFAULT_MAX_RECORD_BYTES}. */
    public static JsonlReader open(Path file) throws IOException {
        return open(file, Utf8Policy.REPORT, PlainTextReader.DEFAULT_MAX_RECORD_BYTES);
    }

    public static JsonlReader open(Path file, Utf8Policy policy, int maxLineBytes) throws IOException {
        Objects.requireNonNull(file, "JsonlReader: file");
        return new JsonlReader(file, policy, maxLineBytes);
    }

    /**
     * The string field {@code field} of each object of {@code file}; an object without it, or
     * with a non-string value there, is a counted skip ({@link SkipReason#MALFORMED_JSON}).
     */
    public static RecordReader<String> textField(Path file, String field) throws IOException {
        Objects.requireNonNull(field, "JsonlReader.textField: field");
        JsonlReader objects = open(file);
        return new RecordReader<>() {
            @Override
            public String read() throws IOException {
                Map<String, Object> o;
                while ((o = objects.read()) != null) {
                    if (o.get(field) instanceof String s) {
                        return s;
                    }
                    Object v = o.get(field);
                    objects.skips.add(SkipReason.MALFORMED_JSON, objects.location, o.containsKey(field)
                            ? "field '" + field + "' is " + (v == null ? "null" : v.getClass().getSimpleName()) + ", not a string"
                            : "no field '" + field + "' (fields: " + o.keySet() + ")");
                }
                return null;
            }

            @Override
            public SkipReport skips() {
                return objects.skips();
            }

            @Override
            public String location() {
                return objects.location();
            }

            @Override
            public void close() throws IOException {
                objects.close();
            }
        };
    }

    @Override
    @SuppressWarnings("unchecked") // Json maps objects to Map<String, Object>
    public Map<String, Object> read() throws IOException {
        try {
            while (lines.nextLine(maxLineBytes)) {
                long lineNo = lines.lineNumber();
                String where = source + ":" + lineNo;
                byte[] b = lines.lineBytes();
                int n = lines.lineLength();
                int start = 0;
                if (lineNo == 1 && n >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf) {
                    start = 3; // byte order mark
                }
                if (lines.lineTooLong()) {
                    skips.add(SkipReason.RECORD_TOO_LONG, where, "line longer than " + maxLineBytes + " bytes");
                    continue;
                }
                if (PlainTextReader.isBlank(b, n)) {
                    continue;
                }
                String text = Utf8Validator.decode(b, start, n - start, policy);
                if (text == null) {
                    skips.add(SkipReason.INVALID_UTF8, where, Utf8Validator.describe(b, start, Utf8Validator.firstInvalid(b, start, n - start)));
                    continue;
                }
                Object value;
                try {
                    value = JsonFiles.parse(text, PARSE_SOURCE);
                } catch (MalformedDataException e) {
                    skips.add(SkipReason.MALFORMED_JSON, where, jsonDetail(e.getMessage()));
                    continue;
                }
                if (!(value instanceof Map<?, ?> map)) {
                    skips.add(SkipReason.NOT_A_JSON_OBJECT, where, "a JSON " + kind(value) + ", expected an object");
                    continue;
                }
                location = where;
                return (Map<String, Object>) map;
            }
            return null;
        } catch (MalformedDataException e) {
            throw new MalformedDataException(e.getMessage() + " (after line " + lines.lineNumber() + ")", e);
        }
    }

    /** Turns JsonFiles' {@code "line:1:17: what"} into {@code "column 17: what"}. */
    private static String jsonDetail(String message) {
        String prefix = PARSE_SOURCE + ":1:";
        if (message != null && message.startsWith(prefix)) {
            return "column " + message.substring(prefix.length());
        }
        return String.valueOf(message);
    }

    private static String kind(Object v) {
        return switch (v) {
            case null -> "null";
            case String _ -> "string";
            case Boolean _ -> "boolean";
            case Number _ -> "number";
            default -> "array";
        };
    }

    @Override
    public SkipReport skips() {
        return skips;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public void close() throws IOException {
        lines.close();
    }
}
