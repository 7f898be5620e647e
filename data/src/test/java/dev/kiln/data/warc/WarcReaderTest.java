package dev.kiln.data.warc;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.gzip;
import static dev.kiln.data.stream.StreamTestFiles.gzipMembers;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.stream.SkipReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WarcReaderTest {
    @TempDir
    Path dir;

    /** One WARC record written by hand from the spec, not by the code under test. */
    static byte[] record(String type, String uri, String extraHeaders, String contentType, byte[] block) {
        String header = "WARC/1.0\r\n"
                + "WARC-Type: " + type + "\r\n"
                + (uri == null ? "" : "WARC-Target-URI: " + uri + "\r\n")
                + "WARC-Date: 2024-02-21T10:30:05Z\r\n"
                + "WARC-Record-ID: <urn:uuid:" + type + "-" + Math.abs((uri + type).hashCode()) + ">\r\n"
                + extraHeaders
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + block.length + "\r\n"
                + "\r\n";
        return concat(utf8(header), block, utf8("\r\n\r\n"));
    }

    static final byte[] INFO = record("warcinfo", null, "", "application/warc-fields",
            utf8("software: hand-written test\r\nformat: WARC File Format 1.0\r\n"));
    static final byte[] REQUEST = record("request", "http://example.com/", "", "application/http; msgtype=request",
            utf8("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    // the body holds an empty line and a fake version line: only Content-Length may end the block
    static final byte[] BODY = concat(utf8("<html><p>caf"), new byte[] {(byte) 0xe9}, utf8("</p>\r\n\r\nWARC/1.0\r\n</html>"));
    static final byte[] RESPONSE = record("response", "http://example.com/", "WARC-Payload-Digest: sha1:XYZ\r\nX-Folded: first\r\n  second\r\n",
            "application/http; msgtype=response",
            concat(utf8("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"ISO-8859-1\"\r\nServer: t\r\n\r\n"), BODY));
    static final byte[] METADATA = record("metadata", "http://example.com/", "", "application/warc-fields", utf8("fetchTimeMs: 12\r\n"));
    static final List<byte[]> RECORDS = List.of(INFO, REQUEST, RESPONSE, METADATA);

    private Path write(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private static List<WarcRecord> all(WarcReader r) throws IOException {
        List<WarcRecord> out = new ArrayList<>();
        WarcRecord rec;
        while ((rec = r.read()) != null) {
            out.add(rec);
        }
        return out;
    }

    @Test
    void recordsAreReadTheSameFromPlainPerRecordGzipAndWholeFileGzip() throws IOException {
        byte[] plain = concat(INFO, REQUEST, RESPONSE, METADATA);
        for (Path f : List.of(write("a.warc", plain), write("a.warc.gz", gzipMembers(INFO, REQUEST, RESPONSE, METADATA)),
                write("b.warc.gz", gzip(plain)))) {
            try (WarcReader r = WarcReader.open(f)) {
                List<WarcRecord> got = all(r);
                assertEquals(List.of("warcinfo", "request", "response", "metadata"), got.stream().map(WarcRecord::type).toList());
                assertEquals(0, r.skips().total());
                WarcRecord resp = got.get(2);
                assertEquals("1.0", resp.version());
                assertEquals("http://example.com/", resp.targetUri());
                assertEquals("2024-02-21T10:30:05Z", resp.date());
                assertEquals("sha1:XYZ", resp.header("warc-payload-digest"));
                assertEquals("first second", resp.header("X-Folded"));
                assertNull(resp.identifiedLanguage());
                assertEquals(f + ": record 3 (offset " + (INFO.length + REQUEST.length) + ")", resp.location());
                HttpResponse http = resp.httpResponse();
                assertEquals(200, http.status());
                assertEquals("text/html", http.mediaType());
                assertEquals("ISO-8859-1", http.charsetLabel());
                assertEquals(Optional.of(StandardCharsets.ISO_8859_1), http.charset());
                assertArrayEquals(BODY, http.body());
                assertTrue(new String(http.body(), http.charset().orElseThrow()).startsWith("<html><p>café</p>"));
                assertEquals(utf8("software: hand-written test\r\nformat: WARC File Format 1.0\r\n").length, got.get(0).contentLength());
                MalformedDataException notHttp = assertThrows(MalformedDataException.class, () -> got.get(0).httpResponse());
                assertTrue(notHttp.getMessage().startsWith(f + ": record 1 (offset 0): block does not start with an HTTP status line"),
                        notHttp.getMessage());
            }
        }
    }

    @Test
    void typeFilterCountsWhatItLeavesOut() throws IOException {
        Path f = write("f.warc.gz", gzipMembers(INFO, REQUEST, RESPONSE, METADATA));
        try (WarcReader r = WarcReader.open(f, Set.of("Response"), WarcReader.DEFAULT_MAX_BLOCK_BYTES)) {
            assertEquals(List.of("response"), all(r).stream().map(WarcRecord::type).toList());
            assertEquals(3, r.skips().count(SkipReason.FILTERED_TYPE));
            assertEquals(0, r.skips().problems());
        }
        try (WarcReader r = WarcReader.open(f, Set.of(), 100)) { // the response block is larger than 100 bytes
            assertEquals(List.of("warcinfo", "request", "metadata"), all(r).stream().map(WarcRecord::type).toList());
            assertEquals(1, r.skips().count(SkipReason.RECORD_TOO_LONG));
        }
    }

    @Test
    void truncatedLastMemberKeepsEarlierRecordsAndNamesTheRecord() throws IOException {
        byte[] full = gzipMembers(INFO, REQUEST, RESPONSE, METADATA);
        int lastStart = gzipMembers(INFO, REQUEST, RESPONSE).length;
        for (int cut = lastStart + 1; cut < full.length; cut += 7) {
            Path f = write("cut.warc.gz", Arrays.copyOf(full, cut));
            try (WarcReader r = WarcReader.open(f)) {
                List<String> types = new ArrayList<>();
                MalformedDataException e = assertThrows(MalformedDataException.class, () -> {
                    WarcRecord rec;
                    while ((rec = r.read()) != null) {
                        types.add(rec.type());
                    }
                }, "cut at " + cut);
                assertEquals(List.of("warcinfo", "request", "response"), types, "cut at " + cut);
                assertTrue(e.getMessage().startsWith(f + ": gzip member #3 (at compressed offset " + lastStart + ")"), e.getMessage());
            }
        }
        // uncompressed: the error says which record and how much of its block was there
        byte[] plain = concat(INFO, REQUEST, RESPONSE);
        Path f = write("cut.warc", Arrays.copyOf(plain, plain.length - 30));
        try (WarcReader r = WarcReader.open(f)) {
            assertEquals("warcinfo", r.read().type());
            assertEquals("request", r.read().type());
            MalformedDataException e = assertThrows(MalformedDataException.class, r::read);
            int blockLength = httpBlockLength();
            assertEquals(f + ": record 3 (offset " + (INFO.length + REQUEST.length) + "): the file ends inside the record's block ("
                    + (blockLength - 26) + " of Content-Length " + blockLength + " bytes; truncated file?)", e.getMessage());
        }
    }

    private static int httpBlockLength() {
        String s = new String(RESPONSE, StandardCharsets.ISO_8859_1);
        int i = s.indexOf("Content-Length: ") + "Content-Length: ".length();
        return Integer.parseInt(s.substring(i, s.indexOf('\r', i)));
    }

    @Test
    void aRecordWhoseGzipMemberFailsItsCrcIsNotDelivered() throws IOException {
        byte[] info = gzipMembers(INFO);
        byte[] response = gzipMembers(RESPONSE);
        response[response.length - 8] ^= 0x40; // the stored CRC-32 of the response's member
        Path f = write("crc.warc.gz", concat(info, gzipMembers(REQUEST), response, gzipMembers(METADATA)));
        try (WarcReader r = WarcReader.open(f)) {
            assertEquals("warcinfo", r.read().type());
            assertEquals("request", r.read().type());
            MalformedDataException e = assertThrows(MalformedDataException.class, r::read);
            assertTrue(e.getMessage().contains("gzip member #2") && e.getMessage().contains("CRC-32 mismatch"), e.getMessage());
        }
    }

    @Test
    void malformedRecordsAreSkippedAndReadingResynchronises() throws IOException {
        byte[] noLength = utf8("WARC/1.0\r\nWARC-Type: resource\r\n\r\nsome block\r\n\r\n");
        byte[] badLength = utf8("WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: twelve\r\n\r\nxx\r\n\r\n");
        byte[] noColon = utf8("WARC/1.1\r\nWARC-Type resource\r\nContent-Length: 2\r\n\r\nxx\r\n\r\n");
        byte[] garbage = utf8("this is not WARC\r\nnor this\r\n");
        byte[] oldVersion = utf8("WARC/0.17\r\nWARC-Type: resource\r\nContent-Length: 2\r\n\r\nxx\r\n\r\n");
        Path f = write("bad.warc", concat(INFO, noLength, REQUEST, badLength, METADATA, garbage, INFO, oldVersion, REQUEST,
                noColon, METADATA));
        try (WarcReader r = WarcReader.open(f)) {
            assertEquals(List.of("warcinfo", "request", "metadata", "warcinfo", "request", "metadata"),
                    all(r).stream().map(WarcRecord::type).toList());
            assertEquals(5, r.skips().count(SkipReason.MALFORMED_WARC), r.skips().toString());
            List<String> details = r.skips().examples(SkipReason.MALFORMED_WARC).stream().map(s -> s.detail()).toList();
            assertEquals(List.of("no Content-Length", "bad Content-Length 'twelve'",
                    "expected a WARC/1.0 or WARC/1.1 version line, found 'this is not WARC'",
                    "unsupported version 'WARC/0.17' (expected WARC/1.0 or WARC/1.1)",
                    "header line without a colon: 'WARC-Type resource'"), details);
            assertEquals(f + ": record 2 (offset " + INFO.length + ")", r.skips().examples(SkipReason.MALFORMED_WARC).getFirst().location());
        }
    }

    @Test
    void chunkedBodiesAreDechunked() throws IOException {
        byte[] chunked = record("response", "http://c/", "", "application/http; msgtype=response",
                utf8("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"));
        byte[] brokenChunks = record("response", "http://d/", "", "application/http; msgtype=response",
                utf8("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot chunked at all"));
        Path f = write("c.warc", concat(chunked, brokenChunks));
        try (WarcReader r = WarcReader.open(f)) {
            HttpResponse a = r.read().httpResponse();
            assertEquals(404, a.status());
            assertEquals("hello, world", new String(a.body(), StandardCharsets.US_ASCII));
            assertEquals(Optional.empty(), a.charset());
            assertEquals("not chunked at all", new String(r.read().httpResponse().body(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void wetConversionRecordsBecomeDocuments() throws IOException {
        byte[] info = record("warcinfo", null, "", "application/warc-fields", utf8("isPartOf: CC-MAIN-test\r\n"));
        byte[] en = record("conversion", "https://a.example/", "WARC-Identified-Content-Language: eng\r\n", "text/plain",
                utf8("First paragraph.\nSecond — with UTF-8.\n"));
        byte[] bad = record("conversion", "https://b.example/", "", "text/plain", new byte[] {'o', 'k', (byte) 0xff});
        byte[] de = record("conversion", "https://c.example/", "WARC-Identified-Content-Language: deu,eng\r\n", "text/plain",
                utf8("Grüße"));
        Path f = write("x.warc.wet.gz", gzipMembers(info, en, bad, de));
        try (WetReader r = WetReader.open(f)) {
            WetDocument d1 = r.read();
            assertEquals("https://a.example/", d1.targetUri());
            assertEquals("eng", d1.language());
            assertEquals("2024-02-21T10:30:05Z", d1.date());
            assertEquals("First paragraph.\nSecond — with UTF-8.\n", d1.text());
            WetDocument d2 = r.read();
            assertEquals("Grüße", d2.text());
            assertEquals("deu,eng", d2.language());
            assertNull(r.read());
            assertEquals(1, r.skips().count(SkipReason.FILTERED_TYPE));
            assertEquals(1, r.skips().count(SkipReason.INVALID_UTF8));
            assertTrue(r.skips().examples(SkipReason.INVALID_UTF8).getFirst().location().endsWith(": record 3 (offset "
                    + (info.length + en.length) + ")"));
        }
    }
}
