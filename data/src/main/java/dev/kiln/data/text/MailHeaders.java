package dev.kiln.data.text;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The header section of a message or MIME part (RFC 5322 section 2.2): fields in their original
 * order, folded lines joined, names looked up case-insensitively. Values are the raw unfolded
 * text (encoded-words not decoded; see {@link EncodedWords}), trimmed. Immutable.
 */
public final class MailHeaders {
    /** One header field: its name as written and its unfolded value. */
    public record Field(String name, String value) {}

    /** The header section and where the body starts in the parsed bytes. */
    record Parsed(MailHeaders headers, int bodyStart) {}

    public static final MailHeaders EMPTY = new MailHeaders(List.of());

    private final List<Field> fields;

    public MailHeaders(List<Field> fields) {
        this.fields = Collections.unmodifiableList(new ArrayList<>(fields));
    }

    /** All fields in order. */
    public List<Field> fields() {
        return fields;
    }

    /** The value of the first field called {@code name} (case-insensitive), or null. */
    public String get(String name) {
        for (Field f : fields) {
            if (f.name().equalsIgnoreCase(name)) {
                return f.value();
            }
        }
        return null;
    }

    /** The values of every field called {@code name} (case-insensitive), in order. */
    public List<String> getAll(String name) {
        List<String> out = new ArrayList<>();
        for (Field f : fields) {
            if (f.name().equalsIgnoreCase(name)) {
                out.add(f.value());
            }
        }
        return out;
    }

    public int size() {
        return fields.size();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Field f : fields) {
            sb.append(f.name()).append(": ").append(f.value()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Parses the header section at {@code bytes[from, to)}. It ends at the first empty line (the
     * body starts after it) or, for input that lacks that line, at the first line that is neither
     * a field ({@code name: value}, the name printable ASCII without blanks; blanks before the
     * colon are allowed, RFC 5322's obsolete syntax) nor a continuation (a line starting with a
     * blank) — that line then starts the body, as in Python's parser. An mbox envelope line
     * ({@code From sender date}) at the very start is skipped; a continuation line before any
     * field is dropped. Lines end in LF or CRLF. Field bytes are read as UTF-8 when valid, else
     * ISO-8859-1.
     */
    static Parsed parse(byte[] bytes, int from, int to) {
        List<Field> fields = new ArrayList<>();
        int pos = from;
        if (startsWith(bytes, from, to, "From ")) {
            pos = lineEnd(bytes, from, to) + 1;
        }
        String name = null;
        StringBuilder value = new StringBuilder();
        while (pos < to) {
            int end = lineEnd(bytes, pos, to);
            int contentEnd = end > pos && bytes[end - 1] == '\r' ? end - 1 : end;
            if (contentEnd == pos) { // the empty line ending the header section
                pos = Math.min(to, end + 1);
                break;
            }
            byte first = bytes[pos];
            if (first == ' ' || first == '\t') {
                if (name != null) {
                    value.append(MailCharsets.decodeGuessing(bytes, pos, contentEnd));
                }
            } else {
                int colon = fieldNameEnd(bytes, pos, contentEnd);
                if (colon < 0) {
                    break; // the body starts at this line
                }
                if (name != null) {
                    fields.add(new Field(name, value.toString().strip()));
                }
                name = new String(bytes, pos, colon - pos, java.nio.charset.StandardCharsets.ISO_8859_1).strip();
                value.setLength(0);
                value.append(MailCharsets.decodeGuessing(bytes, colon + 1, contentEnd));
            }
            pos = Math.min(to, end + 1);
        }
        if (name != null) {
            fields.add(new Field(name, value.toString().strip()));
        }
        return new Parsed(new MailHeaders(fields), pos);
    }

    /** The index of the colon ending a field name that starts at {@code from}, or -1 if the line is not a field. */
    private static int fieldNameEnd(byte[] bytes, int from, int to) {
        boolean blankSeen = false;
        for (int i = from; i < to; i++) {
            int c = bytes[i] & 0xff;
            if (c == ':') {
                return i > from ? i : -1;
            }
            if (c == ' ' || c == '\t') {
                blankSeen = true;
            } else if (blankSeen || c < 33 || c > 126) {
                return -1; // a blank inside the name, or not printable ASCII
            }
        }
        return -1;
    }

    /** The index of the LF ending the line that starts at {@code from}, or {@code to}. */
    static int lineEnd(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return to;
    }

    static boolean startsWith(byte[] bytes, int from, int to, String prefix) {
        if (to - from < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (bytes[from + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
