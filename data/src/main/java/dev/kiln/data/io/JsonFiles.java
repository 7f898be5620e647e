package dev.kiln.data.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerationException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kiln's one JSON setup: a shared Jackson {@link JsonMapper} configured strictly (RFC 8259: no
 * comments, trailing commas, single quotes, NaN, leading zeros or raw control characters; a
 * duplicate key or trailing content is an error; nesting deeper than {@link #MAX_DEPTH} is
 * rejected), plus file helpers whose errors are {@link MalformedDataException}s naming the source,
 * line and column instead of Jackson's stack traces.
 *
 * <p>{@link #parse} returns plain Java values: object → {@code LinkedHashMap<String, Object>} (key order kept),
 * array → {@code ArrayList<Object>}, string → {@code String}, integer → {@code Long} when it fits
 * in 64 bits, other number → {@code Double}, {@code true}/{@code false}
 * → {@code Boolean}, {@code null} → {@code null}. Writing refuses NaN and infinities (they are not
 * JSON) and writes a {@link Path} as its string.
 */
public final class JsonFiles {
    /** Deeper nesting is rejected rather than risking a stack overflow. */
    public static final int MAX_DEPTH = 512;

    /** The mapper every Kiln module shares; thread-safe once built. */
    public static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .addModule(new SimpleModule("kiln")
                    .addSerializer(Double.class, new FiniteSerializer<>(Double.class))
                    .addSerializer(double.class, new FiniteSerializer<>(Double.class))
                    .addSerializer(Float.class, new FiniteSerializer<>(Float.class))
                    .addSerializer(float.class, new FiniteSerializer<>(Float.class))
                    .addSerializer(Path.class, ToStringSerializer.instance))
            .build();

    /** Two spaces per level, {@code "key": value}, one array element per line, {@code {}} and {@code []} when empty. */
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"))
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("")
                    .withArrayEmptySeparator("")));

    private JsonFiles() {}

    /** Parses one JSON value (surrounded by optional whitespace); errors name {@code source}, line and column. */
    public static Object parse(String text, String source) throws MalformedDataException {
        try {
            JsonNode root = MAPPER.readTree(text);
            if (root.isMissingNode()) {
                throw new MalformedDataException(source + ":1:1: unexpected end of input, expected a value");
            }
            return plain(root);
        } catch (JsonProcessingException e) {
            throw malformed(source, e);
        }
    }

    /**
     * {@code node} as plain Java values (see the class comment). Done by hand rather than by
     * Jackson's untyped binding because that either gives {@code Integer} for small integers or,
     * with {@code USE_LONG_FOR_INTS}, fails on integers beyond 64 bits.
     */
    public static Object plain(JsonNode node) {
        return switch (node.getNodeType()) {
            case OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : node.properties()) {
                    m.put(e.getKey(), plain(e.getValue()));
                }
                yield m;
            }
            case ARRAY -> {
                List<Object> l = new ArrayList<>(node.size());
                for (JsonNode e : node) {
                    l.add(plain(e));
                }
                yield l;
            }
            case STRING -> node.textValue();
            case NUMBER -> node.isIntegralNumber() && node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
            case BOOLEAN -> node.booleanValue();
            case NULL, MISSING -> null;
            case BINARY, POJO -> throw new IllegalStateException("JSON text cannot hold a " + node.getNodeType() + " node");
        };
    }

    /** Parses the JSON file {@code file} (UTF-8, gzipped or plain). */
    public static Object read(Path file) throws IOException {
        return parse(TextFile.read(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses JSON Lines: one value per line; empty lines (e.g. a final newline) are skipped. An
     * error names the line in the file ({@code source:line:1:column: ...}).
     */
    public static List<Object> parseLines(String text, String source) throws MalformedDataException {
        List<Object> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank()) {
                continue;
            }
            out.add(parse(line, source + ":" + lineNo));
        }
        return out;
    }

    /** Reads a JSON Lines file. */
    public static List<Object> readLines(Path file) throws IOException {
        return parseLines(TextFile.read(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * {@code value} as compact JSON on one line.
     *
     * @throws IllegalArgumentException for NaN or an infinity, or a value Jackson cannot write
     */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON write: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} as JSON indented by two spaces per level. @throws IllegalArgumentException as {@link #write} */
    public static String writePretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON write: " + e.getOriginalMessage(), e);
        }
    }

    /** Jackson's error as {@code source:line:column: what}, without its stack of context. */
    public static MalformedDataException malformed(String source, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? source : source + ":" + at.getLineNr() + ":" + at.getColumnNr();
        String what = e.getOriginalMessage();
        int cut = what.indexOf('\n');
        what = (cut < 0 ? what : what.substring(0, cut))
                // Jackson's hints name its own settings, which mean nothing to someone fixing a file.
                .replaceAll(" \\(bound as `[^`]*`\\)", "")
                .replaceAll(", from `[^`]*`", "")
                .replaceAll(":? (enable|not allowed as per) `.*$", "");
        return new MalformedDataException(where + ": " + what, e);
    }

    /** Writes finite numbers as Jackson would and refuses NaN and infinities, which JSON cannot hold. */
    private static final class FiniteSerializer<T extends Number> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;

        FiniteSerializer(Class<T> type) {
            super(type);
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            double d = value.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new JsonGenerationException(value + " is not JSON (NaN and infinities have no JSON form)", gen);
            }
            if (value instanceof Float f) {
                gen.writeNumber(f);
            } else {
                gen.writeNumber(d);
            }
        }
    }
}
