package dev.kiln.data.stream;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.gzip;
import static dev.kiln.data.stream.StreamTestFiles.gzipMembers;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlainTextReaderTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private static List<String> all(RecordReader<String> r) throws IOException {
        List<String> out = new ArrayList<>();
        try (r) {
            String s;
            while ((s = r.read()) != null) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void linesKeepEmptyOnesDropTerminatorsAndTheByteOrderMark() throws IOException {
        byte[] text = concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8("héllo\r\n\nwörld\nlast"));
        for (Path f : List.of(write("a.txt", text), write("a.txt.gz", gzip(text)))) {
            try (PlainTextReader r = PlainTextReader.lines(f)) {
                assertEquals("", r.location());
                assertEquals("héllo", r.read());
                assertEquals(f + ":1", r.location());
                assertEquals("", r.read());
                assertEquals("wörld", r.read());
                assertEquals("last", r.read());
                assertEquals(f + ":4", r.location());
                assertNull(r.read());
                assertNull(r.read());
                assertEquals(0, r.skips().total());
            }
        }
    }

    @Test
    void paragraphsAreSeparatedByBlankLines() throws IOException {
        Path f = write("p.txt", utf8("\n\nOne line.\nSecond line.\n  \t\nTwo.\r\n\r\n\r\nThree\nends"));
        assertEquals(List.of("One line.\nSecond line.", "Two.", "Three\nends"), all(PlainTextReader.paragraphs(f)));
        try (PlainTextReader r = PlainTextReader.paragraphs(f)) {
            r.read();
            assertEquals(f + ":3", r.location());
            r.read();
            assertEquals(f + ":6", r.location());
            r.read();
            assertEquals(f + ":9", r.location());
        }
    }

    @Test
    void invalidUtf8IsACountedSkipOrReplaced() throws IOException {
        byte[] text = concat(utf8("ok\ncaf"), new byte[] {(byte) 0xe9}, utf8("\nfine\n"));
        Path f = write("latin1.txt", text);
        try (PlainTextReader r = PlainTextReader.lines(f)) {
            assertEquals(List.of("ok", "fine"), all(r));
            assertEquals(1, r.skips().count(SkipReason.INVALID_UTF8));
            SkipReport.Skip s = r.skips().examples(SkipReason.INVALID_UTF8).getFirst();
            assertEquals(f + ":2", s.location());
            assertEquals("invalid UTF-8: byte 0xe9 at offset 3 of the record", s.detail());
        }
        assertEquals(List.of("ok", "caf\uFFFD", "fine"),
                all(PlainTextReader.open(f, PlainTextReader.Unit.LINES, Utf8Policy.REPLACE, 100)));
        // in paragraph mode the whole paragraph goes
        try (PlainTextReader r = PlainTextReader.paragraphs(write("p.txt", concat(text, utf8("\nnext paragraph\n"))))) {
            assertEquals(List.of("next paragraph"), all(r));
            assertEquals(1, r.skips().count(SkipReason.INVALID_UTF8));
            assertEquals(r.skips().source() + ":1", r.skips().examples(SkipReason.INVALID_UTF8).getFirst().location());
        }
    }

    @Test
    void overlongRecordsAreSkippedWithoutBeingKept() throws IOException {
        Path f = write("long.txt", utf8("short\n" + "x".repeat(1000) + "\nafter\n\n" + "y\n".repeat(20) + "\nend\n"));
        try (PlainTextReader r = PlainTextReader.open(f, PlainTextReader.Unit.LINES, Utf8Policy.REPORT, 100)) {
            List<String> got = all(r);
            assertEquals(25, got.size()); // 26 lines, one skipped
            assertEquals(List.of("short", "after", "", "y"), got.subList(0, 4));
            assertEquals(List.of("y", "", "end"), got.subList(22, 25));
            assertEquals(1, r.skips().count(SkipReason.RECORD_TOO_LONG));
            assertEquals(f + ":2", r.skips().examples(SkipReason.RECORD_TOO_LONG).getFirst().location());
        }
        try (PlainTextReader r = PlainTextReader.open(f, PlainTextReader.Unit.PARAGRAPHS, Utf8Policy.REPORT, 30)) {
            assertEquals(List.of("end"), all(r));
            assertEquals(2, r.skips().count(SkipReason.RECORD_TOO_LONG)); // "short\nxxx...\nafter" and the 20 y lines (39 bytes)
        }
    }

    @Test
    void truncatedGzipDeliversCompleteLinesThenFailsClearly() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        byte[] gz = gzipMembers(utf8(sb.toString()), utf8("member two\n"));
        Path f = write("cut.txt.gz", Arrays.copyOf(gz, gz.length - 20));
        List<String> got = new ArrayList<>();
        MalformedDataException e;
        try (PlainTextReader r = PlainTextReader.lines(f)) {
            e = assertThrows(MalformedDataException.class, () -> {
                String s;
                while ((s = r.read()) != null) {
                    got.add(s);
                }
            });
        }
        assertTrue(e.getMessage().startsWith(f + ": gzip member #1"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated file?"), e.getMessage());
        assertEquals(2000, got.size());
        assertEquals("line 1999", got.getLast());
    }

    @Test
    void streamAndIteratorAdaptersWrapErrors() throws IOException {
        Path f = write("s.txt", utf8("a\nb\nc\n"));
        try (var s = PlainTextReader.lines(f).map(String::toUpperCase).stream()) {
            assertEquals(List.of("A", "B", "C"), s.toList());
        }
        Path cut = write("cut.gz", Arrays.copyOf(gzip("a\nb\n".repeat(100)), 15));
        try (var s = PlainTextReader.lines(cut).stream()) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, s::toList);
            assertTrue(e.getCause() instanceof MalformedDataException);
        }
    }
}
