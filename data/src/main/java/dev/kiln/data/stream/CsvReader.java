package dev.kiln.data.stream;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * CSV (RFC 4180, UTF-8, gzipped or not) streamed record by record, with the same dialect as
 * {@link CsvTable} (which reads through this class): fields separated by commas, records by LF or CRLF, a field in
 * double quotes may hold commas, line breaks and doubled quotes; blank lines are passed over.
 *
 * <p>Unlike {@code CsvTable}, a bad record does not stop the file: a stray quote, a character
 * after a closing quote, the wrong number of fields, invalid UTF-8 (default {@link
 * Utf8Policy#REPORT}) or a record over the size limit is a counted skip naming the line, and
 * reading resumes at the next line. An unterminated quote at the end of the file is a skip of
 * that last record. A bad header (when there is one) is an error: nothing after it can be read.
 * Columns in messages count bytes from the start of the line, 1-based.
 */
public final class CsvReader implements RecordReader<CsvRecord> {
    private final String source;
    private final boolean strict;
    private final InputStream in;
    private final Utf8Policy policy;
    private final int maxRecordBytes;
    private final SkipReport skips;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private boolean eof;

    private long line = 1; // line of the next byte
    private long lineStartOffset;
    private long offset; // bytes consumed

    private byte[] record = new byte[1024]; // the current record's field bytes, back to back
    private int recordLength;
    private int[] fieldEnds = new int[16];
    private int fieldCount;
    private boolean overflow;
    private String error; // why the current record is malformed, or null
    private long recordLine;

    private final List<String> columns;
    private final Map<String, Integer> columnIndex;
    private int width = -1;
    private String widthFrom = "";
    private String location = "";

    private CsvReader(InputStream in, String source, boolean header, Utf8Policy policy, int maxRecordBytes,
                      boolean strict) throws IOException {
        this.source = source;
        this.strict = strict;
        this.policy = Objects.requireNonNull(policy, "CsvReader: policy");
        if (maxRecordBytes <= 0) {
            in.close();
            throw new IllegalArgumentException("CsvReader: maxRecordBytes must be > 0, got " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
        this.skips = new SkipReport(source);
        this.in = in;
        try {
            // fill() reads whole buffers, so the first three bytes are in buf when the file has them
            if (peek() == 0xef && lim >= 3 && (buf[1] & 0xff) == 0xbb && (buf[2] & 0xff) == 0xbf) {
                pos = 3; // byte order mark
                offset = 3;
                lineStartOffset = 3;
            }
            if (header) {
                if (!readRecord()) {
                    throw new MalformedDataException(source + ": empty, expected a header row");
                }
                if (error != null || overflow) {
                    throw new MalformedDataException(source + ":" + recordLine + ": bad header: "
                            + (error != null ? error : "longer than " + maxRecordBytes + " bytes"));
                }
                String[] names = decodeFields();
                if (names == null) {
                    throw new MalformedDataException(source + ":" + recordLine + ": the header is not valid UTF-8");
                }
                Map<String, Integer> index = new LinkedHashMap<>();
                for (int c = 0; c < names.length; c++) {
                    if (index.putIfAbsent(names[c], c) != null) {
                        throw new MalformedDataException(source + ":" + recordLine + ": column name '" + names[c]
                                + "' appears twice in the header");
                    }
                }
                columns = List.of(names);
                columnIndex = Collections.unmodifiableMap(index);
                width = names.length;
                widthFrom = "the header";
            } else {
                columns = null;
                columnIndex = new LinkedHashMap<>();
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Reads {@code file}; its first record is the header when {@code header}. */
    public static CsvReader open(Path file, boolean header) throws IOException {
        return open(file, header, Utf8Policy.REPORT, PlainTextReader.DEFAULT_MAX_RECORD_BYTES);
    }

    public static CsvReader open(Path file, boolean header, Utf8Policy policy, int maxRecordBytes) throws IOException {
        Objects.requireNonNull(file, "CsvReader: file");
        return new CsvReader(InputFiles.open(file), file.toString(), header, policy, maxRecordBytes, false);
    }

    /**
     * A strict reader (what {@link CsvTable} reads with): the first bad record throws a {@link
     * MalformedDataException} naming {@code source} and its line instead of being skipped; invalid
     * UTF-8 is an error; records have no size limit.
     */
    static CsvReader strict(InputStream in, String source, boolean header) throws IOException {
        return new CsvReader(in, source, header, Utf8Policy.REPORT, Integer.MAX_VALUE - 8, true);
    }

    /** The header's column names, or {@code "0", "1", ...} without one (known after the first record). */
    public List<String> columns() {
        if (columns != null) {
            return columns;
        }
        List<String> names = new ArrayList<>();
        for (int c = 0; c < Math.max(width, 0); c++) {
            names.add(Integer.toString(c));
        }
        return List.copyOf(names);
    }

    @Override
    public CsvRecord read() throws IOException {
        try {
            while (readRecord()) {
                String where = source + ":" + recordLine;
                if (error != null) {
                    skip(SkipReason.MALFORMED_CSV, where, error);
                    continue;
                }
                if (overflow) {
                    skip(SkipReason.RECORD_TOO_LONG, where, "record longer than " + maxRecordBytes + " bytes");
                    continue;
                }
                if (width < 0) {
                    width = fieldCount;
                    widthFrom = "line " + recordLine;
                    for (int c = 0; c < width; c++) {
                        columnIndex.put(Integer.toString(c), c);
                    }
                } else if (fieldCount != width) {
                    skip(SkipReason.WRONG_FIELD_COUNT, where, "expected " + width + " fields (as in " + widthFrom
                            + "), found " + fieldCount);
                    continue;
                }
                String[] fields = decodeFields();
                if (fields == null) {
                    int bad = Utf8Validator.firstInvalid(record, 0, recordLength);
                    skip(SkipReason.INVALID_UTF8, where, Utf8Validator.describe(record, 0, bad));
                    continue;
                }
                location = where;
                return new CsvRecord(fields, recordLine, source, columnIndex);
            }
            return null;
        } catch (MalformedDataException e) {
            if (strict) {
                throw e;
            }
            throw new MalformedDataException(e.getMessage() + " (in the record starting at line " + recordLine + ")", e);
        }
    }

    /** Counts a skipped record, or in a strict reader refuses it. */
    private void skip(SkipReason reason, String where, String detail) throws MalformedDataException {
        if (strict) {
            throw new MalformedDataException(where + ": " + detail);
        }
        skips.add(reason, where, detail);
    }

    private String[] decodeFields() {
        if (policy == Utf8Policy.REPORT && Utf8Validator.firstInvalid(record, 0, recordLength) >= 0) {
            return null;
        }
        String[] out = new String[fieldCount];
        int start = 0;
        for (int f = 0; f < fieldCount; f++) {
            out[f] = new String(record, start, fieldEnds[f] - start, StandardCharsets.UTF_8);
            start = fieldEnds[f];
        }
        return out;
    }

    /**
     * Reads one record into {@code record}/{@code fieldEnds}, setting {@code error} or {@code
     * overflow} when it is bad (the rest of its line is then consumed). False at the end of input.
     */
    private boolean readRecord() throws IOException {
        int c;
        while (true) { // blank lines
            c = peek();
            if (c < 0) {
                return false;
            }
            if (c == '\n') {
                next();
                newLine();
            } else if (c == '\r') {
                next();
                if (peek() == '\n') {
                    next();
                    newLine();
                } else {
                    recordStart();
                    appendByte('\r'); // a lone CR is data, as in CsvTable
                    break;
                }
            } else {
                recordStart();
                break;
            }
        }
        while (true) { // fields
            c = peek();
            if (c == '"' && fieldIsEmptySoFar()) {
                long quoteLine = line;
                long quoteCol = column();
                next();
                while (true) {
                    c = next();
                    if (c < 0) {
                        error = "unterminated quoted field opened at line " + quoteLine + ", column " + quoteCol
                                + " (the file ends before its closing quote)";
                        endField();
                        return true;
                    }
                    if (c == '"') {
                        if (peek() == '"') {
                            next();
                            appendByte('"');
                            continue;
                        }
                        break;
                    }
                    appendByte(c);
                    if (c == '\n') {
                        newLine();
                    }
                }
                c = peek();
                if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
                    return malformed(String.format("unexpected %s after a closing quote at line %d, column %d"
                            + " (expected ',' or end of line)", describe(c), line, column()));
                }
                if (c == '\r') {
                    next();
                    if (peek() != '\n') {
                        return malformed(String.format("unexpected CR after a closing quote at line %d, column %d",
                                line, column() - 1));
                    }
                    // the LF is consumed below as the end of the record
                }
            } else {
                while (true) {
                    c = peek();
                    if (c < 0 || c == ',' || c == '\n') {
                        break;
                    }
                    if (c == '"') {
                        return malformed(String.format("quote inside an unquoted field at line %d, column %d"
                                + " (quote the whole field and double the quote)", line, column()));
                    }
                    next();
                    if (c == '\r' && peek() == '\n') {
                        break;
                    }
                    appendByte(c);
                }
            }
            endField();
            c = next();
            if (c == ',') {
                continue;
            }
            if (c == '\n') {
                newLine();
            }
            return true; // end of line or of input
        }
    }

    private boolean fieldIsEmptySoFar() {
        int start = fieldCount == 0 ? 0 : fieldEnds[fieldCount - 1];
        return recordLength == start;
    }

    private void recordStart() {
        recordLength = 0;
        fieldCount = 0;
        overflow = false;
        error = null;
        recordLine = line;
    }

    private boolean malformed(String why) throws IOException {
        error = why;
        int c;
        while ((c = next()) >= 0) { // resynchronise at the next line
            if (c == '\n') {
                newLine();
                break;
            }
        }
        return true;
    }

    private void appendByte(int b) {
        if (recordLength >= maxRecordBytes) {
            overflow = true; // keep consuming, stop storing
            return;
        }
        if (recordLength == record.length) {
            record = Arrays.copyOf(record, Math.min(maxRecordBytes, 2 * record.length));
        }
        record[recordLength++] = (byte) b;
    }

    private void endField() {
        if (fieldCount == fieldEnds.length) {
            fieldEnds = Arrays.copyOf(fieldEnds, 2 * fieldCount);
        }
        fieldEnds[fieldCount++] = recordLength;
    }

    private void newLine() {
        line++;
        lineStartOffset = offset;
    }

    private long column() {
        return offset - lineStartOffset + 1;
    }

    private static String describe(int c) {
        return c >= 0x20 && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
    }

    private int peek() throws IOException {
        if (pos == lim && !fill()) {
            return -1;
        }
        return buf[pos] & 0xff;
    }

    private int next() throws IOException {
        if (pos == lim && !fill()) {
            return -1;
        }
        offset++;
        return buf[pos++] & 0xff;
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n = in.readNBytes(buf, 0, buf.length);
        if (n <= 0) {
            eof = true;
            return false;
        }
        pos = 0;
        lim = n;
        return true;
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
        in.close();
    }
}
