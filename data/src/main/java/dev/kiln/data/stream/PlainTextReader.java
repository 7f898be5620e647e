package dev.kiln.data.stream;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Plain UTF-8 text (gzipped or not), streamed as lines or as paragraphs.
 *
 * <ul>
 *   <li>{@link Unit#LINES}: every line, empty ones included, without its terminator (LF or CRLF),
 *       so that {@link #location()} matches the file's line numbers.
 *   <li>{@link Unit#PARAGRAPHS}: runs of non-blank lines joined by {@code "\n"}; blank lines
 *       (empty or only spaces and tabs) separate them and are not delivered.
 * </ul>
 *
 * A leading byte order mark is dropped. Each record is validated on its own under the
 * {@link Utf8Policy} (default {@link Utf8Policy#REPORT}: an invalid record is a counted skip). A
 * record over the size limit (default {@link #DEFAULT_MAX_RECORD_BYTES}) is a counted skip too.
 */
public final class PlainTextReader implements RecordReader<String> {
    /** What one record is. */
    public enum Unit {
        LINES,
        PARAGRAPHS
    }

    /** 16 MiB: far above any real line or paragraph, low enough to survive a file with no line breaks. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 16 << 20;

    private final String source;
    private final ByteLineReader lines;
    private final Unit unit;
    private final Utf8Policy policy;
    private final int maxRecordBytes;
    private final SkipReport skips;
    private byte[] paragraph = new byte[4096];
    private String location = "";
    private int length; // of the current line, in lines.lineBytes()

    private PlainTextReader(Path file, Unit unit, Utf8Policy policy, int maxRecordBytes) throws IOException {
        this.source = file.toString();
        this.unit = Objects.requireNonNull(unit, "PlainTextReader: unit");
        this.policy = Objects.requireNonNull(policy, "PlainTextReader: policy");
        if (maxRecordBytes <= 0) {
            throw new IllegalArgumentException("PlainTextReader: maxRecordBytes must be > 0, got " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
        this.skips = new SkipReport(source);
        this.lines = new ByteLineReader(InputFiles.open(file));
    }

    /** Every line of {@code file}, invalid UTF-8 lines skipped and counted. */
    public static PlainTextReader lines(Path file) throws IOException {
        return open(file, Unit.LINES, Utf8Policy.REPORT, DEFAULT_MAX_RECORD_BYTES);
    }

    /** The blank-line separated paragraphs of {@code file}, invalid UTF-8 paragraphs skipped and counted. */
    public static PlainTextReader paragraphs(Path file) throws IOException {
        return open(file, Unit.PARAGRAPHS, Utf8Policy.REPORT, DEFAULT_MAX_RECORD_BYTES);
    }

    public static PlainTextReader open(Path file, Unit unit, Utf8Policy policy, int maxRecordBytes) throws IOException {
        Objects.requireNonNull(file, "PlainTextReader: file");
        return new PlainTextReader(file, unit, policy, maxRecordBytes);
    }

    @Override
    public String read() throws IOException {
        try {
            return unit == Unit.LINES ? readLine() : readParagraph();
        } catch (MalformedDataException e) {
            throw new MalformedDataException(e.getMessage() + " (after line " + lines.lineNumber() + ")", e);
        }
    }

    /** Reads a line into {@code lines}, setting {@code length} (the byte order mark of line 1 dropped). */
    private boolean nextLine() throws IOException {
        if (!lines.nextLine(maxRecordBytes)) {
            return false;
        }
        length = lines.lineLength();
        if (lines.lineNumber() == 1) {
            byte[] b = lines.lineBytes();
            if (length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf) {
                length -= 3;
                System.arraycopy(b, 3, b, 0, length);
            }
        }
        return true;
    }

    private String readLine() throws IOException {
        while (nextLine()) {
            String where = source + ":" + lines.lineNumber();
            if (lines.lineTooLong()) {
                skips.add(SkipReason.RECORD_TOO_LONG, where, "line longer than " + maxRecordBytes + " bytes");
                continue;
            }
            String s = decode(lines.lineBytes(), length, where);
            if (s != null) {
                location = where;
                return s;
            }
        }
        return null;
    }

    private String readParagraph() throws IOException {
        while (true) {
            // skip blank lines up to the paragraph's first line
            do {
                if (!nextLine()) {
                    return null;
                }
            } while (isBlank(lines.lineBytes(), length) && !lines.lineTooLong());
            long firstLine = lines.lineNumber();
            String where = source + ":" + firstLine;
            int size = 0;
            boolean tooLong = false;
            do {
                int n = length;
                if (lines.lineTooLong() || (long) size + (size > 0 ? 1 : 0) + n > maxRecordBytes) {
                    tooLong = true;
                } else if (!tooLong) {
                    if (size > 0) {
                        ensure(size + 1);
                        paragraph[size++] = '\n';
                    }
                    ensure(size + n);
                    System.arraycopy(lines.lineBytes(), 0, paragraph, size, n);
                    size += n;
                }
                if (!nextLine()) {
                    break;
                }
                if (isBlank(lines.lineBytes(), length) && !lines.lineTooLong()) {
                    break;
                }
            } while (true);
            if (tooLong) {
                skips.add(SkipReason.RECORD_TOO_LONG, where, "paragraph longer than " + maxRecordBytes + " bytes");
                continue;
            }
            String s = decode(paragraph, size, where);
            if (s != null) {
                location = where;
                return s;
            }
        }
    }

    private void ensure(int n) {
        if (n > paragraph.length) {
            paragraph = Arrays.copyOf(paragraph, Math.max(n, Math.min(maxRecordBytes, 2 * paragraph.length)));
        }
    }

    private String decode(byte[] b, int n, String where) {
        String s = Utf8Validator.decode(b, 0, n, policy);
        if (s == null) {
            skips.add(SkipReason.INVALID_UTF8, where, Utf8Validator.describe(b, 0, Utf8Validator.firstInvalid(b, 0, n)));
        }
        return s;
    }

    static boolean isBlank(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\f') {
                return false;
            }
        }
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
        lines.close();
    }
}
