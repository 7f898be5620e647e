package dev.kiln.data.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MboxReaderTest {
    @TempDir
    Path dir;

    private static final String MBOX = String.join("\n",
            "From alice@example.com Thu Aug 22 13:17:22 2002",
            "Subject: one",
            "",
            "First body.",
            "From here on, a line that starts with From but follows text.",
            "",
            ">From the escaped line",
            "",
            "From bob@example.com  Fri Aug 23 08:00:00 2002",
            "Subject: two",
            "",
            "Second body.",
            "",
            "From the desk of a writer who forgot to escape (no time of day)",
            "",
            "");

    private static List<MboxReader.Message> readAll(MboxReader r) {
        List<MboxReader.Message> out = new ArrayList<>();
        while (r.hasNext()) {
            out.add(r.next());
        }
        return out;
    }

    private static MboxReader reader(String text, boolean mboxrd) {
        return new MboxReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)), "test", mboxrd);
    }

    private static String text(MboxReader.Message m) {
        return new String(m.bytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void splitsAtSeparatorLinesOnly() {
        List<MboxReader.Message> msgs = readAll(reader(MBOX, false));
        assertEquals(2, msgs.size());
        assertEquals("alice@example.com Thu Aug 22 13:17:22 2002", msgs.get(0).envelope());
        assertEquals("Subject: one\n\nFirst body.\nFrom here on, a line that starts with From but follows text.\n\n"
                + ">From the escaped line\n", text(msgs.get(0)), "the empty line before the next separator is dropped");
        assertEquals(2, msgs.get(0).firstLine());
        assertEquals("bob@example.com  Fri Aug 23 08:00:00 2002", msgs.get(1).envelope());
        assertEquals("Subject: two\n\nSecond body.\n\nFrom the desk of a writer who forgot to escape (no time of day)\n",
                text(msgs.get(1)));
        assertEquals(10, msgs.get(1).firstLine());
        assertEquals("two", msgs.get(1).parse().subject());
        assertEquals("Second body.\n\nFrom the desk of a writer who forgot to escape (no time of day)", msgs.get(1).parse().text());
    }

    @Test
    void mboxrdUnescapingIsOptional() {
        List<MboxReader.Message> msgs = readAll(reader(MBOX, true));
        assertEquals("Subject: one\n\nFirst body.\nFrom here on, a line that starts with From but follows text.\n\n"
                + "From the escaped line\n", text(msgs.get(0)));
        assertEquals(">From x\n", text(readAll(reader("From a Mon Jan 1 00:00:00 2001\n>>From x\n", true)).get(0)));
    }

    @Test
    void crlfLinesAndAFileThatIsOneMessageWithoutSeparator() {
        List<MboxReader.Message> msgs = readAll(reader("Subject: a\r\n\r\nbody\r\n\r\nFrom x Mon Jan 1 10:00 2001\r\n\r\nb\r\n", false));
        assertEquals(2, msgs.size());
        assertNull(msgs.get(0).envelope(), "text before the first separator is a message without an envelope");
        assertEquals("Subject: a\r\n\r\nbody\r\n", text(msgs.get(0)));
        assertEquals("body", msgs.get(0).parse().text());
        assertEquals("\r\nb\r\n", text(msgs.get(1)));
        assertEquals(0, readAll(reader("", false)).size());
        assertEquals(0, readAll(reader("\n\n  \n", false)).size(), "blank text is no message");
        List<MboxReader.Message> bare = readAll(reader("From x Mon Jan 1 10:00 2001", false));
        assertEquals(1, bare.size(), "a separator without a message and without a final line break");
        assertEquals("", text(bare.get(0)));
    }

    @Test
    void readsGzippedFilesAndStopsCleanly() throws IOException {
        Path gz = dir.resolve("box.mbox.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(MBOX.getBytes(StandardCharsets.ISO_8859_1));
        }
        try (MboxReader r = MboxReader.open(gz)) {
            assertEquals(List.of("one", "two"), readAll(r).stream().map(m -> m.parse().subject()).toList());
            assertFalse(r.hasNext());
            NoSuchElementException e = assertThrows(NoSuchElementException.class, r::next);
            assertEquals(gz + ": no more messages after line 15", e.getMessage());
        }
    }
}
