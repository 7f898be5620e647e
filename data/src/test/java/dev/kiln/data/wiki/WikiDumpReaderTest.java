package dev.kiln.data.wiki;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.gzip;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.stream.SkipReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WikiDumpReaderTest {
    @TempDir
    Path dir;

    static final String HEAD = """
            <mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">
              <siteinfo>
                <sitename>Wikipedia</sitename>
                <namespaces>
                  <namespace key="0" case="first-letter" />
                  <namespace key="10" case="first-letter">Template</namespace>
                </namespaces>
              </siteinfo>
            """;

    static String page(long id, String title, int ns, String redirect, String... revisions) {
        StringBuilder sb = new StringBuilder("  <page>\n    <title>" + title + "</title>\n    <ns>" + ns + "</ns>\n    <id>" + id + "</id>\n");
        if (redirect != null) {
            sb.append("    <redirect title=\"").append(redirect).append("\" />\n");
        }
        for (String r : revisions) {
            sb.append(r);
        }
        return sb.append("  </page>\n").toString();
    }

    static String revision(long id, String timestamp, String text) {
        return "    <revision>\n      <id>" + id + "</id>\n      <parentid>1</parentid>\n      <timestamp>" + timestamp + "</timestamp>\n"
                + "      <contributor>\n        <username>Someone</username>\n        <id>999</id>\n      </contributor>\n"
                + "      <comment>edit</comment>\n      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
                + "      <text bytes=\"" + text.length() + "\" xml:space=\"preserve\">" + text + "</text>\n"
                + "      <sha1>abc</sha1>\n    </revision>\n";
    }

    static final String DUMP = HEAD
            + page(12, "Anarchism", 0, null, revision(100, "2024-01-01T00:00:00Z",
                    "'''Anarchism''' is a [[political philosophy]].&lt;ref&gt;{{cite}}&lt;/ref&gt; Tom &amp; Jerry &quot;q&quot;"))
            + page(13, "AfghanistanHistory", 0, "History of Afghanistan", revision(101, "2024-01-02T00:00:00Z",
                    "#REDIRECT [[History of Afghanistan]]"))
            + page(14, "Template:Foo", 10, null, revision(102, "2024-01-03T00:00:00Z", "template body"))
            + page(15, "Old redirect style", 0, null, revision(103, "2024-01-04T00:00:00Z", "#redirect [[Elsewhere]]"))
            + page(16, "History", 0, null,
                    revision(201, "2020-05-01T00:00:00Z", "newest"),
                    revision(200, "2019-05-01T00:00:00Z", "older, listed later"))
            + page(17, "Deleted", 0, null, "    <revision>\n      <id>300</id>\n      <timestamp>2024-01-01T00:00:00Z</timestamp>\n"
                    + "      <text deleted=\"deleted\" />\n    </revision>\n")
            + page(18, "Ünïcødé title", 0, null, revision(400, "2024-02-02T00:00:00Z", "Text with ü and 日本."))
            + "</mediawiki>\n";

    private static List<WikiPage> all(WikiDumpReader r) throws IOException {
        List<WikiPage> out = new ArrayList<>();
        WikiPage p;
        while ((p = r.read()) != null) {
            out.add(p);
        }
        return out;
    }

    @Test
    void pagesOfNamespaceZeroWithTheirLatestRevision() throws IOException {
        for (Path f : List.of(Files.writeString(dir.resolve("dump.xml"), DUMP), Files.write(dir.resolve("dump.xml.gz"), gzip(DUMP)))) {
            try (WikiDumpReader r = WikiDumpReader.open(f)) {
                List<WikiPage> pages = all(r);
                assertEquals(List.of("Anarchism", "History", "Ünïcødé title"), pages.stream().map(WikiPage::title).toList());
                WikiPage a = pages.get(0);
                assertEquals(12, a.id());
                assertEquals(0, a.namespace());
                assertEquals(100, a.revisionId());
                assertEquals("wikitext", a.model());
                assertEquals("'''Anarchism''' is a [[political philosophy]].<ref>{{cite}}</ref> Tom & Jerry \"q\"", a.wikitext());
                assertEquals("Anarchism is a political philosophy. Tom & Jerry \"q\"", a.plainText());
                WikiPage h = pages.get(1);
                assertEquals(201, h.revisionId());
                assertEquals("newest", h.wikitext());
                assertEquals("2020-05-01T00:00:00Z", h.timestamp());
                assertEquals("Text with ü and 日本.", pages.get(2).wikitext());
                assertEquals(2, r.skips().count(SkipReason.REDIRECT));
                assertEquals(1, r.skips().count(SkipReason.FILTERED_NAMESPACE));
                assertEquals(1, r.skips().count(SkipReason.MISSING_TEXT));
                assertTrue(r.skips().examples(SkipReason.REDIRECT).getFirst().location().startsWith(f + ": page 13 'AfghanistanHistory' (line "));
                assertTrue(r.location().startsWith(f + ": page 18 "));
                assertNull(r.read());
            }
        }
    }

    @Test
    void namespaceChoice() throws IOException {
        Path f = Files.writeString(dir.resolve("dump.xml"), DUMP);
        try (WikiDumpReader r = WikiDumpReader.open(f, Set.of(10))) {
            assertEquals(List.of("Template:Foo"), all(r).stream().map(WikiPage::title).toList());
        }
        try (WikiDumpReader r = WikiDumpReader.open(f, Set.of())) {
            assertEquals(4, all(r).size());
            assertEquals(0, r.skips().count(SkipReason.FILTERED_NAMESPACE));
        }
    }

    @Test
    void brokenXmlIsAnErrorNamingLineAndColumnAfterTheEarlierPages() throws IOException {
        String broken = HEAD + page(1, "Good", 0, null, revision(1, "2024-01-01T00:00:00Z", "fine"))
                + "  <page>\n    <title>Bad</title>\n    <ns>0</ns>\n    <id>2</id>\n    <revision><text>unclosed</revisio>\n";
        Path f = Files.writeString(dir.resolve("broken.xml"), broken);
        try (WikiDumpReader r = WikiDumpReader.open(f)) {
            assertEquals("Good", r.read().title());
            MalformedDataException e = assertThrows(MalformedDataException.class, r::read);
            int line = (int) broken.lines().count();
            assertTrue(e.getMessage().startsWith(f + ": line " + line + ", column "), e.getMessage());
            assertTrue(e.getMessage().contains("broken XML: ") && e.getMessage().contains("\"</text>\""), e.getMessage());
            assertSame(e, assertThrows(MalformedDataException.class, r::read)); // stays failed
        }
        Path garbage = Files.writeString(dir.resolve("garbage.xml"), "this is not xml");
        MalformedDataException g = assertThrows(MalformedDataException.class, () -> {
            try (WikiDumpReader r = WikiDumpReader.open(garbage)) {
                r.read();
            }
        });
        assertTrue(g.getMessage().startsWith(garbage + ": line 1, column 1: broken XML"), g.getMessage());
    }

    @Test
    void invalidUtf8AndTruncatedGzipAreClearErrors() throws IOException {
        String head = HEAD + page(1, "Good", 0, null, revision(1, "2024-01-01T00:00:00Z", "fine"));
        byte[] bad = concat(utf8(head + "  <page>\n    <title>caf"), new byte[] {(byte) 0xe9}, utf8("</title>\n  </page>\n</mediawiki>\n"));
        Path f = Files.write(dir.resolve("latin1.xml"), bad);
        try (WikiDumpReader r = WikiDumpReader.open(f)) {
            assertEquals("Good", r.read().title());
            MalformedDataException e = assertThrows(MalformedDataException.class, r::read);
            int offset = utf8(head + "  <page>\n    <title>caf").length;
            assertTrue(e.getMessage().startsWith(f + ": invalid UTF-8 at byte offset " + offset + " (byte 0xe9) (XML line "
                    + (head.lines().count() + 2) + ", column "), e.getMessage());
        }
        StringBuilder many = new StringBuilder(HEAD);
        for (int i = 0; i < 300; i++) {
            many.append(page(i, "Page " + i, 0, null, revision(i, "2024-01-01T00:00:00Z", "Text of page " + i + ". ".repeat(i % 7))));
        }
        byte[] gz = gzip(many.append("</mediawiki>\n").toString());
        Path cut = Files.write(dir.resolve("cut.xml.gz"), Arrays.copyOf(gz, gz.length * 2 / 3));
        try (WikiDumpReader r = WikiDumpReader.open(cut)) {
            int n = 0;
            MalformedDataException e = null;
            try {
                while (r.read() != null) {
                    n++;
                }
            } catch (MalformedDataException x) {
                e = x;
            }
            assertTrue(e != null && e.getMessage().startsWith(cut + ": gzip member #0") && e.getMessage().contains("truncated file?"),
                    String.valueOf(e));
            assertTrue(n > 50 && n < 300, "pages before the cut: " + n);
        }
    }

    @Test
    void entityHeavyDumpsAreNotStoppedByTheJdkEntityLimits() throws IOException {
        // the JDK's default caps count &amp; &quot; ... and stop after 100,000 of them
        StringBuilder sb = new StringBuilder(HEAD);
        String text = "Tom &amp; Jerry &quot;quoted&quot; ".repeat(1000);
        for (int i = 0; i < 50; i++) {
            sb.append(page(i, "P" + i, 0, null, revision(i, "2024-01-01T00:00:00Z", text)));
        }
        Path f = Files.writeString(dir.resolve("entities.xml"), sb.append("</mediawiki>\n").toString());
        try (WikiDumpReader r = WikiDumpReader.open(f)) {
            List<WikiPage> pages = all(r);
            assertEquals(50, pages.size()); // 150,000 entity references
            assertEquals("Tom & Jerry \"quoted\" ".repeat(1000), pages.getLast().wikitext());
        }
    }

    @Test
    void externalEntitiesAreNeverResolved() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET");
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE mediawiki [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">"
                + "<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n"
                + "<mediawiki>" + page(1, "P", 0, null, revision(1, "2024-01-01T00:00:00Z", "a &x; b &lol2;")) + "</mediawiki>";
        Path f = Files.writeString(dir.resolve("xxe.xml"), xxe);
        try (WikiDumpReader r = WikiDumpReader.open(f)) {
            MalformedDataException e = assertThrows(MalformedDataException.class, r::read);
            assertFalse(e.getMessage().contains("TOP-SECRET"));
            assertTrue(e.getMessage().contains("\"x\" was referenced, but not declared"), e.getMessage());
        }
    }

    @Test
    void bzip2DumpsAreRefusedWithAHint() throws IOException {
        Path f = Files.write(dir.resolve("enwiki.xml.bz2"), concat(utf8("BZh9"), new byte[] {0x31, 0x41, 0x59, 0x26, 0x53, 0x59}));
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> WikiDumpReader.open(f));
        assertEquals(f + ": bzip2-compressed; this reader takes plain or gzipped XML (e.g. bzcat enwiki.xml.bz2 | gzip > dump.xml.gz)",
                e.getMessage());
    }
}
