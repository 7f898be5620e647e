package dev.kiln.data.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser and writer. Values map to Java as: object →
 * {@code LinkedHashMap<String, Object>} (key order kept; a duplicate key is an error), array →
 * {@code ArrayList<Object>}, string → {@code String}, number → {@code Long} when it is an integer
 * that fits, else {@code Double}, {@code true}/{@code false} → {@code Boolean}, {@code null} →
 * {@code null}. Strict: no comments, trailing commas, single quotes, NaN, leading zeros or raw
 * control characters in strings. Errors name the source, line and column.
 */
public final class Json {
    /** Deeper nesting is rejected rather than risking a stack overflow. */
    public static final int MAX_DEPTH = 512;

    private final String text;
    private final String source;
    private int pos;

    private Json(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /** Parses one JSON value (surrounded by optional whitespace). */
    public static Object parse(String text, String source) throws MalformedDataException {
        Json p = new Json(text, source);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("unexpected " + p.describe() + " after the value");
        }
        return v;
    }

    /** Parses the JSON file {@code file} (UTF-8, gzipped or plain). */
    public static Object read(Path file) throws IOException {
        return parse(TextFile.read(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses JSON Lines: one value per line; empty lines (e.g. a final newline) are skipped. An
     * error names the line in the file.
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

    // ---- parser ----

    private Object value(int depth) throws MalformedDataException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected " + describe() + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) throws MalformedDataException {
        pos++; // {
        Map<String, Object> m = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe() + ", expected a string key");
            }
            int keyPos = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (m.containsKey(key)) {
                pos = keyPos;
                throw error("duplicate key \"" + key + "\"");
            }
            m.put(key, v);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return m;
            } else {
                throw error("unexpected " + describe() + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws MalformedDataException {
        pos++; // [
        List<Object> l = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return l;
        }
        while (true) {
            skipWhitespace();
            l.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return l;
            } else {
                throw error("unexpected " + describe() + ", expected ',' or ']'");
            }
        }
    }

    private String string() throws MalformedDataException {
        int start = pos;
        pos++; // "
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw error(String.format("raw control character U+%04X in a string (escape it)", (int) c));
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            pos++;
            if (pos >= text.length()) {
                throw error("unterminated escape");
            }
            char e = text.charAt(pos);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 >= text.length()) {
                        throw error("truncated \\u escape");
                    }
                    int code = 0;
                    for (int k = 1; k <= 4; k++) {
                        int d = Character.digit(text.charAt(pos + k), 16);
                        if (d < 0) {
                            pos += k;
                            throw error("bad hex digit " + describe() + " in a \\u escape");
                        }
                        code = code * 16 + d;
                    }
                    sb.append((char) code);
                    pos += 4;
                }
                default -> throw error("invalid escape \\" + e);
            }
            pos++;
        }
    }

    private Object number() throws MalformedDataException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zero in a number");
            }
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("unexpected " + describe() + " in a number, expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("unexpected " + describe() + " after a decimal point, expected a digit");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("unexpected " + describe() + " in an exponent, expected a digit");
            }
            digits();
        }
        String s = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException tooBig) {
                // falls through to a double
            }
        }
        return Double.parseDouble(s);
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object v) throws MalformedDataException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe() + ", expected a value");
        }
        pos += word.length();
        return v;
    }

    private void expect(char c) throws MalformedDataException {
        if (peek() != c) {
            throw error("unexpected " + describe() + ", expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describe() {
        if (pos >= text.length()) {
            return "end of input";
        }
        char c = text.charAt(pos);
        return c < 0x20 ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }

    private MalformedDataException error(String what) {
        int line = 1;
        int lineStart = 0;
        for (int k = 0; k < Math.min(pos, text.length()); k++) {
            if (text.charAt(k) == '\n') {
                line++;
                lineStart = k + 1;
            }
        }
        return new MalformedDataException(source + ":" + line + ":" + (pos - lineStart + 1) + ": " + what);
    }

    // ---- writer ----

    /** {@code value} as JSON on one line (maps, lists, strings, numbers, booleans, null; others as strings). */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, -1, 0);
        return sb.toString();
    }

    /** {@code value} as JSON indented by two spaces per level. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 2, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object value, int indent, int level) {
        switch (value) {
            case null -> sb.append("null");
            case String s -> quote(sb, s);
            case Double d when d.isNaN() || d.isInfinite() -> throw new IllegalArgumentException("Json.write: " + d + " is not JSON");
            case Float f when f.isNaN() || f.isInfinite() -> throw new IllegalArgumentException("Json.write: " + f + " is not JSON");
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            case Map<?, ?> m -> {
                sb.append('{');
                String sep = "";
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(sep);
                    newline(sb, indent, level + 1);
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(indent < 0 ? ":" : ": ");
                    write(sb, e.getValue(), indent, level + 1);
                    sep = ",";
                }
                if (!m.isEmpty()) {
                    newline(sb, indent, level);
                }
                sb.append('}');
            }
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    newline(sb, indent, level + 1);
                    write(sb, l.get(i), indent, level + 1);
                }
                if (!l.isEmpty()) {
                    newline(sb, indent, level);
                }
                sb.append(']');
            }
            default -> quote(sb, value.toString());
        }
    }

    private static void newline(StringBuilder sb, int indent, int level) {
        if (indent >= 0) {
            sb.append('\n').repeat(' ', indent * level);
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
