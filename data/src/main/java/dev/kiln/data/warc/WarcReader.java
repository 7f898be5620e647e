package dev.kiln.data.warc;

import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.stream.ByteLineReader;
import dev.kiln.data.stream.InputFiles;
import dev.kiln.data.stream.RecordReader;
import dev.kiln.data.stream.SkipReason;
import dev.kiln.data.stream.SkipReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * WARC 1.0 / 1.1 files (ISO 28500), gzipped or not, read record by record — Common Crawl's WARC,
 * WAT and WET files among them. Each record is a version line ({@code WARC/1.0}), header fields,
 * an empty line, exactly {@code Content-Length} bytes of block, and two CRLFs. A gzipped file is
 * read member by member through {@link dev.kiln.data.stream.GzipMemberStream} (Common Crawl puts
 * one record in each member); nothing larger than one record's block is held in memory.
 *
 * <p><b>Bad input.</b> A header block that cannot be parsed (no version line, a field without a
 * colon, a missing or bad {@code Content-Length} or {@code WARC-Type}) is a counted skip
 * ({@link SkipReason#MALFORMED_WARC}); the reader resynchronises on the next line that is exactly
 * {@code WARC/1.0} or {@code WARC/1.1}. A block over the size limit is read past and counted
 * ({@link SkipReason#RECORD_TOO_LONG}). A file that ends inside a record (a truncated download)
 * or a damaged gzip member throws {@link MalformedDataException} naming the file and record,
 * after every complete record before it has been delivered.
 *
 * <p>Records of every type are delivered unless a set of types is given; the others are then
 * read past and counted as {@link SkipReason#FILTERED_TYPE}.
 */
public final class WarcReader implements RecordReader<WarcRecord> {
    /** 64 MiB: Common Crawl truncates payloads at 1 MiB, so a larger block is almost surely damage. */
    public static final long DEFAULT_MAX_BLOCK_BYTES = 64L << 20;
    private static final int MAX_HEADER_LINE = 64 << 10;
    private static final int MAX_HEADER_FIELDS = 1000;

    private final String source;
    private final ByteLineReader in;
    private final Set<String> types; // lower case; empty = all
    private final long maxBlockBytes;
    private final SkipReport skips;
    private long recordNumber;
    private String location = "";
    private String pendingVersionLine; // a version line consumed while resynchronising
    private long pendingStart;

    private WarcReader(Path file, Set<String> types, long maxBlockBytes) throws IOException {
        this.source = file.toString();
        Objects.requireNonNull(types, "WarcReader: types");
        this.types = types.stream().map(t -> t.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
        if (maxBlockBytes <= 0 || maxBlockBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("WarcReader: maxBlockBytes must be in [1, 2^31 - 17], got " + maxBlockBytes);
        }
        this.maxBlockBytes = maxBlockBytes;
        this.skips = new SkipReport(source);
        this.in = new ByteLineReader(InputFiles.open(file));
    }

    /** Every record of {@code file}. */
    public static WarcReader open(Path file) throws IOException {
        return open(file, Set.of(), DEFAULT_MAX_BLOCK_BYTES);
    }

    /**
     * The records of {@code file} whose {@code WARC-Type} is in {@code types} (any case; empty
     * means every type), blocks up to {@code maxBlockBytes}.
     */
    public static WarcReader open(Path file, Set<String> types, long maxBlockBytes) throws IOException {
        Objects.requireNonNull(file, "WarcReader: file");
        return new WarcReader(file, types, maxBlockBytes);
    }

    @Override
    public WarcRecord read() throws IOException {
        while (true) {
            String versionLine;
            long start;
            if (pendingVersionLine != null) {
                versionLine = pendingVersionLine;
                start = pendingStart;
                pendingVersionLine = null;
            } else {
                do { // blank lines before the version line
                    if (!in.nextLine(MAX_HEADER_LINE)) {
                        return null;
                    }
                } while (in.lineLength() == 0 && !in.lineTooLong());
                start = in.lineStart();
                versionLine = line();
                if (in.lineTooLong() || !isVersionLine(versionLine)) {
                    skips.add(SkipReason.MALFORMED_WARC, source + ": offset " + start, versionLine.startsWith("WARC/")
                            ? "unsupported version '" + abbreviate(versionLine) + "' (expected WARC/1.0 or WARC/1.1)"
                            : "expected a WARC/1.0 or WARC/1.1 version line, found '" + abbreviate(versionLine) + "'");
                    if (!resynchronise()) {
                        return null;
                    }
                    continue;
                }
            }
            WarcRecord r = readAfterVersionLine(versionLine, start);
            if (r != null) {
                return r;
            }
        }
    }

    private static boolean isVersionLine(String s) {
        return s.equals("WARC/1.0") || s.equals("WARC/1.1");
    }

    /** Reads lines until one is a version line, which is left in {@code pendingVersionLine}; false at the end. */
    private boolean resynchronise() throws IOException {
        while (in.nextLine(MAX_HEADER_LINE)) {
            if (!in.lineTooLong() && in.lineLength() == 8 && isVersionLine(line())) {
                pendingVersionLine = line();
                pendingStart = in.lineStart();
                return true;
            }
        }
        return false;
    }

    private WarcRecord readAfterVersionLine(String versionLine, long start) throws IOException {
        recordNumber++;
        String where = where(start);
        List<WarcRecord.Field> fields = new ArrayList<>();
        Map<String, String> byName = new HashMap<>();
        while (true) {
            if (!in.nextLine(MAX_HEADER_LINE)) {
                throw new MalformedDataException(where + ": the file ends inside the record's header (truncated file?)");
            }
            if (in.lineTooLong()) {
                return malformed(where, "header line longer than " + MAX_HEADER_LINE + " bytes");
            }
            if (in.lineLength() == 0) {
                break;
            }
            String line = line();
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && !fields.isEmpty()) {
                WarcRecord.Field last = fields.removeLast(); // folded continuation line
                WarcRecord.Field joined = new WarcRecord.Field(last.name(), last.value() + " " + line.strip());
                fields.add(joined);
                byName.put(joined.name().toLowerCase(Locale.ROOT), joined.value());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                if (isVersionLine(line)) {
                    pendingVersionLine = line; // the previous record lost its empty line: start over here
                    pendingStart = in.lineStart();
                    skips.add(SkipReason.MALFORMED_WARC, where, "header block ends without an empty line");
                    return null;
                }
                return malformed(where, "header line without a colon: '" + abbreviate(line) + "'");
            }
            if (fields.size() == MAX_HEADER_FIELDS) {
                return malformed(where, "more than " + MAX_HEADER_FIELDS + " header fields");
            }
            WarcRecord.Field f = new WarcRecord.Field(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            fields.add(f);
            byName.putIfAbsent(f.name().toLowerCase(Locale.ROOT), f.value());
        }
        String lengthText = byName.get("content-length");
        long length;
        try {
            length = lengthText == null ? -1 : Long.parseLong(lengthText);
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length < 0) {
            return malformed(where, lengthText == null ? "no Content-Length" : "bad Content-Length '" + abbreviate(lengthText) + "'");
        }
        String type = byName.get("warc-type");
        if (type == null) {
            return malformed(where, "no WARC-Type");
        }
        if (!types.isEmpty() && !types.contains(type.toLowerCase(Locale.ROOT))) {
            skipBlock(where, length);
            skips.add(SkipReason.FILTERED_TYPE, where, type);
            return null;
        }
        if (length > maxBlockBytes) {
            skipBlock(where, length);
            skips.add(SkipReason.RECORD_TOO_LONG, where, "Content-Length " + length + " > limit " + maxBlockBytes);
            return null;
        }
        byte[] block = new byte[(int) length];
        int got = in.readFully(block, 0, block.length);
        if (got < length) {
            throw truncatedBlock(where, got, length);
        }
        endOfRecord();
        location = where;
        return new WarcRecord(versionLine.substring(5), fields, byName, block, where);
    }

    /** Counts a malformed record and moves to the next version line (leaving it pending). */
    private WarcRecord malformed(String where, String why) throws IOException {
        skips.add(SkipReason.MALFORMED_WARC, where, why);
        resynchronise();
        return null;
    }

    private void skipBlock(String where, long length) throws IOException {
        long got = in.skipFully(length);
        if (got < length) {
            throw truncatedBlock(where, got, length);
        }
        endOfRecord();
    }

    private MalformedDataException truncatedBlock(String where, long got, long length) {
        return new MalformedDataException(where + ": the file ends inside the record's block (" + got + " of Content-Length "
                + length + " bytes; truncated file?)");
    }

    /** Consumes the two line ends after a block (CRLF CRLF; bare LFs tolerated). */
    private void endOfRecord() throws IOException {
        for (int k = 0; k < 2; k++) {
            int c = in.peek();
            if (c == '\r') {
                in.skipFully(1);
                c = in.peek();
            }
            if (c == '\n') {
                in.skipFully(1);
            } else {
                return; // the next record's version check will catch real damage
            }
        }
    }

    private String line() {
        return new String(in.lineBytes(), 0, in.lineLength(), StandardCharsets.UTF_8);
    }

    private String where(long offset) {
        return source + ": record " + recordNumber + " (offset " + offset + ")";
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
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
