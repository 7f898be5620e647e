package dev.kiln.data.stream;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.gzip;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {
    @TempDir
    Path dir;

    private static List<CsvRecord> all(CsvReader r) throws IOException {
        List<CsvRecord> out = new ArrayList<>();
        CsvRecord rec;
        while ((rec = r.read()) != null) {
            out.add(rec);
        }
        return out;
    }

    @Test
    void randomValidFilesReadBackAsWrittenStreamedAndInMemory() throws IOException {
        SplittableRandom rnd = new SplittableRandom(11);
        String[] atoms = {"a", "bc", "", " ", "1.5", "é", "日本", "x,y", "say \"hi\"", "two\nlines", "cr\r\nlf", "lone\rcr"};
        for (int trial = 0; trial < 200; trial++) {
            int width = rnd.nextInt(1, 5);
            int rows = rnd.nextInt(0, 8);
            StringBuilder sb = new StringBuilder();
            List<String[]> written = new ArrayList<>(); // the data rows, as the generator wrote them
            List<Long> startLines = new ArrayList<>();
            for (int r = 0; r <= rows; r++) {
                long line = 1 + sb.chars().filter(ch -> ch == '\n').count();
                String[] record = new String[width];
                for (int c = 0; c < width; c++) {
                    String v = r == 0 ? "col" + c : atoms[rnd.nextInt(atoms.length)];
                    record[c] = v;
                    boolean mustQuote = v.contains(",") || v.contains("\"") || v.contains("\n") || v.isEmpty() && width == 1;
                    sb.append(c > 0 ? "," : "");
                    sb.append(mustQuote || rnd.nextInt(4) == 0 ? "\"" + v.replace("\"", "\"\"") + "\"" : v);
                }
                if (r > 0) {
                    written.add(record);
                    startLines.add(line);
                }
                sb.append(rnd.nextBoolean() ? "\r\n" : "\n");
                if (rnd.nextInt(6) == 0) {
                    sb.append('\n'); // blank line
                }
            }
            String text = sb.toString();
            List<String> header = new ArrayList<>();
            for (int c = 0; c < width; c++) {
                header.add("col" + c);
            }
            CsvTable table = CsvTable.parse(text, "mem", true);
            assertEquals(header, table.columns(), text);
            assertEquals(written.size(), table.rowCount(), text);
            Path f = dir.resolve("r" + trial + (trial % 2 == 0 ? ".csv" : ".csv.gz"));
            Files.write(f, trial % 2 == 0 ? utf8(text) : gzip(text));
            try (CsvReader reader = CsvReader.open(f, true)) {
                assertEquals(header, reader.columns(), text);
                List<CsvRecord> got = all(reader);
                assertEquals(written.size(), got.size(), text);
                for (int r = 0; r < got.size(); r++) {
                    assertEquals(startLines.get(r), got.get(r).line(), text);
                    assertEquals((long) startLines.get(r), table.lineOf(r), text);
                    for (int c = 0; c < width; c++) {
                        assertEquals(written.get(r)[c], got.get(r).get(c), text);
                        assertEquals(written.get(r)[c], got.get(r).get("col" + c));
                        assertEquals(written.get(r)[c], table.get(r, "col" + c));
                    }
                }
                assertEquals(0, reader.skips().total());
            }
        }
    }

    @Test
    void badRecordsAreCountedSkipsAndReadingResumes() throws IOException {
        byte[] content = concat(utf8("id,text\r\n"
                        + "1,fine\n"
                        + "2,\"x\"y,more\n" // character after a closing quote
                        + "3,ok\n"
                        + "4,a\"b\n" // quote inside an unquoted field
                        + "5\n" // one field
                        + "6,caf"),
                new byte[] {(byte) 0xe9},
                utf8("\n7,\"multi\nline\"\n8,\"never closed\n9,lost\n"));
        Path f = dir.resolve("bad.csv");
        Files.write(f, content);
        try (CsvReader r = CsvReader.open(f, true)) {
            List<CsvRecord> got = all(r);
            assertEquals(List.of("1", "3", "7"), got.stream().map(x -> x.get("id")).toList());
            assertEquals("multi\nline", got.get(2).get("text"));
            assertEquals(List.of(2L, 4L, 8L), got.stream().map(CsvRecord::line).toList());
            SkipReport s = r.skips();
            assertEquals(3, s.count(SkipReason.MALFORMED_CSV));
            assertEquals(f + ":3", s.examples(SkipReason.MALFORMED_CSV).get(0).location());
            assertEquals("unexpected 'y' after a closing quote at line 3, column 6 (expected ',' or end of line)",
                    s.examples(SkipReason.MALFORMED_CSV).get(0).detail());
            assertEquals("quote inside an unquoted field at line 5, column 4 (quote the whole field and double the quote)",
                    s.examples(SkipReason.MALFORMED_CSV).get(1).detail());
            assertEquals(f + ":10", s.examples(SkipReason.MALFORMED_CSV).get(2).location());
            assertTrue(s.examples(SkipReason.MALFORMED_CSV).get(2).detail()
                    .startsWith("unterminated quoted field opened at line 10, column 3"));
            assertEquals(1, s.count(SkipReason.WRONG_FIELD_COUNT));
            assertEquals("expected 2 fields (as in the header), found 1", s.examples(SkipReason.WRONG_FIELD_COUNT).getFirst().detail());
            assertEquals(f + ":7", s.examples(SkipReason.INVALID_UTF8).getFirst().location());
        }
    }

    @Test
    void withoutHeaderTheFirstRecordSetsTheWidth() throws IOException {
        Path f = dir.resolve("nh.csv");
        Files.write(f, concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8("1,2\n3\n4,5")));
        try (CsvReader r = CsvReader.open(f, false)) {
            List<CsvRecord> got = all(r);
            assertEquals(List.of(List.of("1", "2"), List.of("4", "5")), got.stream().map(CsvRecord::fields).toList());
            assertEquals(List.of("0", "1"), r.columns());
            assertEquals("5", got.get(1).get("1"));
            assertEquals("expected 2 fields (as in line 1), found 1", r.skips().examples(SkipReason.WRONG_FIELD_COUNT).getFirst().detail());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> got.get(0).get("x"));
            assertEquals(f + ": no column 'x', columns are [0, 1]", e.getMessage());
        }
    }

    @Test
    void badHeadersAndEmptyFilesAreErrors() throws IOException {
        Path dup = dir.resolve("dup.csv");
        Files.writeString(dup, "a,a\n1,2\n");
        assertEquals(dup + ":1: column name 'a' appears twice in the header",
                assertThrows(MalformedDataException.class, () -> CsvReader.open(dup, true)).getMessage());
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "\n\n");
        assertEquals(empty + ": empty, expected a header row",
                assertThrows(MalformedDataException.class, () -> CsvReader.open(empty, true)).getMessage());
        try (CsvReader r = CsvReader.open(empty, false)) {
            assertEquals(0, all(r).size());
        }
        Path broken = dir.resolve("broken.csv");
        Files.writeString(broken, "a,\"b\n");
        assertTrue(assertThrows(MalformedDataException.class, () -> CsvReader.open(broken, true)).getMessage()
                .startsWith(broken + ":1: bad header: unterminated quoted field"));
    }
}
