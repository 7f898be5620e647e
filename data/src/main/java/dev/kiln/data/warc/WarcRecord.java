package dev.kiln.data.warc;

import dev.kiln.data.io.MalformedDataException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One WARC record: its named header fields and its block (exactly {@code Content-Length} bytes).
 * Header names are matched case-insensitively. Immutable, except that {@link #block()} returns
 * the reader's array itself (never reused by the reader) to avoid a copy per record.
 */
public final class WarcRecord {
    /** A header field as written: name, value (continuation lines joined by a space). */
    public record Field(String name, String value) {}

    private final String version;
    private final List<Field> fields;
    private final Map<String, String> byLowerName;
    private final byte[] block;
    private final String location;

    WarcRecord(String version, List<Field> fields, Map<String, String> byLowerName, byte[] block, String location) {
        this.version = version;
        this.fields = List.copyOf(fields);
        this.byLowerName = Map.copyOf(byLowerName);
        this.block = block;
        this.location = location;
    }

    /** {@code "1.0"} or {@code "1.1"}. */
    public String version() {
        return version;
    }

    /** The value of header {@code name} (any case), or {@code null} when the record has none. */
    public String header(String name) {
        return byLowerName.get(name.toLowerCase(Locale.ROOT));
    }

    /** All header fields in file order. */
    public List<Field> headers() {
        return fields;
    }

    /** {@code WARC-Type}: warcinfo, request, response, metadata, conversion, resource, revisit, ... */
    public String type() {
        return header("WARC-Type");
    }

    /** {@code WARC-Target-URI}, or null. */
    public String targetUri() {
        return header("WARC-Target-URI");
    }

    /** {@code WARC-Date} as written (ISO 8601, e.g. {@code 2024-02-21T10:30:05Z}), or null. */
    public String date() {
        return header("WARC-Date");
    }

    /** {@code WARC-Record-ID}, e.g. {@code <urn:uuid:...>}, or null. */
    public String recordId() {
        return header("WARC-Record-ID");
    }

    /** {@code Content-Type} of the block (e.g. {@code application/http; msgtype=response}), or null. */
    public String contentType() {
        return header("Content-Type");
    }

    /** {@code WARC-Identified-Content-Language} (Common Crawl: ISO 639-3 codes, e.g. {@code "eng,fra"}), or null. */
    public String identifiedLanguage() {
        return header("WARC-Identified-Content-Language");
    }

    /** The block's length, which is the record's {@code Content-Length}. */
    public int contentLength() {
        return block.length;
    }

    /** The block bytes (not a copy: do not modify). */
    public byte[] block() {
        return block;
    }

    /** Where the record starts, e.g. {@code "CC-MAIN-x.warc.gz: record 3 (offset 1234)"} (decompressed offset). */
    public String location() {
        return location;
    }

    /**
     * The HTTP response in this record's block (for {@code response} records of Content-Type
     * {@code application/http}).
     *
     * @throws MalformedDataException naming this record when the block is not an HTTP response
     */
    public HttpResponse httpResponse() throws MalformedDataException {
        return HttpResponse.parse(block, location);
    }

    @Override
    public String toString() {
        return location + " " + type() + " " + Objects.toString(targetUri(), "") + " (" + block.length + " bytes)";
    }
}
