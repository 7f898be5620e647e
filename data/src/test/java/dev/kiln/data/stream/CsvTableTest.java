package dev.kiln.data.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTableTest {
    @TempDir
    Path dir;

    @Test
    void headerQuotesEmbeddedCommasNewlinesAndTypedColumns() throws IOException {
        Path f = dir.resolve("t.csv");
        Files.writeString(f, "date,temp,note\r\n"
                + "2010-01-01 00:00,39.4,plain\r\n"
                + "2010-01-01 01:00,-1.5e1,\"a, \"\"quoted\"\"\nnote\"\n"
                + "\n"
                + "2010-01-01 02:00,7,\"\"\n");
        CsvTable t = CsvTable.read(f, true);
        assertEquals(List.of("date", "temp", "note"), t.columns());
        assertEquals(3, t.rowCount());
        assertArrayEquals(new double[] {39.4, -15, 7}, t.doubleColumn("temp"));
        assertEquals("a, \"quoted\"\nnote", t.get(1, "note"));
        assertEquals("", t.get(2, 2));
        assertEquals(List.of(2, 3, 6), List.of(t.lineOf(0), t.lineOf(1), t.lineOf(2)));
        assertEquals(7L, t.getLong(2, "temp"));
    }

    @Test
    void withoutHeaderColumnsAreNumbered() throws IOException {
        CsvTable t = CsvTable.parse("1,2\n3,4", "inline", false);
        assertEquals(List.of("0", "1"), t.columns());
        assertArrayEquals(new long[] {2, 4}, t.longColumn("1"));
    }

    @Test
    void badRowsNameTheFileAndLine() {
        assertError("a,b\n1,2\n3\n", "data.csv:3: expected 2 fields (as in the header), found 1");
        assertError("a,b\n1,\"open\n2,3\n", "data.csv:2: unterminated quoted field opened at line 2, column 3");
        assertError("a,b\n1,\"x\"y\n", "data.csv:2: unexpected 'y' after a closing quote at line 2, column 6");
        assertError("a,b\n1,x\"y\n", "data.csv:2: quote inside an unquoted field at line 2, column 4");
        assertError("a,a\n1,2\n", "column name 'a' appears twice");
    }

    @Test
    void badValuesNameLineAndColumn() throws IOException {
        CsvTable t = CsvTable.parse("x,y\n1,2\n3,oops\n", "v.csv", true);
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> t.doubleColumn("y"));
        assertEquals("v.csv:3: column 'y' is 'oops', not a number", e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> t.doubleColumn("z"));
        assertTrue(missing.getMessage().contains("no column 'z', columns are [x, y]"), missing.getMessage());
    }

    private static void assertError(String text, String expected) {
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> CsvTable.parse(text, "data.csv", true));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
