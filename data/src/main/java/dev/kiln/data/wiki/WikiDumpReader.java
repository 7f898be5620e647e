package dev.kiln.data.wiki;

import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.stream.InputFiles;
import dev.kiln.data.stream.RecordReader;
import dev.kiln.data.stream.SkipReason;
import dev.kiln.data.stream.SkipReport;
import dev.kiln.data.stream.StrictUtf8Reader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * MediaWiki XML dumps (Wikipedia's {@code pages-articles.xml}, plain or gzipped), streamed page
 * by page with StAX: memory holds one page at a time, whatever the dump's size.
 *
 * <p>Each delivered {@link WikiPage} carries its latest revision (greatest {@code <timestamp>},
 * the later one in the file on a tie), so full-history dumps work too. Redirects ({@code
 * <redirect>} element, or text starting with {@code #REDIRECT}) are counted as {@link
 * SkipReason#REDIRECT}; pages outside the chosen namespaces (default: 0, the articles) as {@link
 * SkipReason#FILTERED_NAMESPACE}; pages without revision text as {@link SkipReason#MISSING_TEXT}.
 *
 * <p><b>Errors.</b> XML that is not well-formed, invalid UTF-8 (dumps are UTF-8; the reader
 * decodes strictly itself and ignores the XML declaration's encoding), or a damaged gzip stream
 * throws {@link MalformedDataException} naming the file and the line and column (or byte
 * offset); every page before it has been delivered, and later calls throw the same error. bzip2 dumps (Wikimedia's default) are
 * recognised and refused with a message: decompress or recompress them with gzip first.
 *
 * <p><b>Security.</b> DTDs and external entities are off, so a dump cannot make the reader open
 * files or URLs, nor expand entity bombs. The JDK's caps on entity sizes are lifted, because
 * they also count references to the predefined entities ({@code &amp;quot;}, {@code &amp;amp;}):
 * a Wikipedia dump holds billions of them, and with the JDK 25 defaults parsing fails after
 * about 100,000.
 */
public final class WikiDumpReader implements RecordReader<WikiPage> {
    private final String source;
    private final Reader in;
    private final XMLStreamReader xml;
    private final Set<Integer> namespaces;
    private final SkipReport skips;
    private final ArrayDeque<String> open = new ArrayDeque<>();
    private String location = "";
    private MalformedDataException failure;
    private boolean done;

    private WikiDumpReader(Path file, Set<Integer> namespaces) throws IOException {
        this.source = file.toString();
        this.namespaces = Set.copyOf(Objects.requireNonNull(namespaces, "WikiDumpReader: namespaces"));
        this.skips = new SkipReport(source);
        refuseBzip2(file);
        this.in = new StrictUtf8Reader(InputFiles.open(file), source);
        try {
            this.xml = factory().createXMLStreamReader(in);
        } catch (XMLStreamException e) {
            in.close();
            throw error(e);
        }
    }

    /** The articles (namespace 0) of {@code dump}. */
    public static WikiDumpReader open(Path dump) throws IOException {
        return open(dump, Set.of(0));
    }

    /** The pages of {@code dump} in {@code namespaces} (empty: every namespace). */
    public static WikiDumpReader open(Path dump, Set<Integer> namespaces) throws IOException {
        Objects.requireNonNull(dump, "WikiDumpReader: dump");
        return new WikiDumpReader(dump, namespaces);
    }

    static XMLInputFactory factory() {
        XMLInputFactory f = XMLInputFactory.newDefaultFactory(); // the JDK's parser, whatever is on the class path
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setProperty(XMLInputFactory.IS_COALESCING, false);
        // the JDK counts references to the predefined entities (&quot; &amp; ...) against these
        // caps; with the defaults (100,000 for one entity, the document counting as one) a real
        // dump fails after a few pages. Without a DTD there are no other entities to bound.
        f.setProperty("jdk.xml.totalEntitySizeLimit", "0");
        f.setProperty("jdk.xml.maxGeneralEntitySizeLimit", "0");
        return f;
    }

    private static void refuseBzip2(Path file) throws IOException {
        byte[] head;
        try (InputStream raw = Files.newInputStream(file)) {
            head = raw.readNBytes(4);
        }
        if (head.length == 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' && head[3] <= '9') {
            throw new MalformedDataException(file + ": bzip2-compressed; this reader takes plain or gzipped XML "
                    + "(e.g. bzcat " + file.getFileName() + " | gzip > dump.xml.gz)");
        }
    }

    /** Fields of the page being read. */
    private static final class PageState {
        String title;
        int namespace;
        long id = -1;
        boolean redirect;
        int line;
        boolean hasRevision;
        long revisionId = -1;
        String timestamp;
        String model;
        String text;
    }

    /** Fields of the revision being read. */
    private static final class RevisionState {
        long id = -1;
        String timestamp;
        String model;
        String text;
    }

    @Override
    public WikiPage read() throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (done) {
            return null;
        }
        try {
            return next();
        } catch (XMLStreamException e) {
            failure = error(e);
            throw failure;
        } catch (MalformedDataException e) {
            failure = e;
            throw e;
        }
    }

    private WikiPage next() throws XMLStreamException, MalformedDataException {
        PageState page = null;
        RevisionState rev = null;
        while (xml.hasNext()) {
            int event = xml.next();
            if (event == XMLStreamConstants.START_ELEMENT) {
                String name = xml.getLocalName();
                String parent = open.peek();
                if (name.equals("page")) {
                    page = new PageState();
                    page.line = xml.getLocation().getLineNumber();
                } else if (page != null && "page".equals(parent)) {
                    switch (name) {
                        case "title" -> {
                            page.title = xml.getElementText();
                            continue;
                        }
                        case "ns" -> {
                            page.namespace = (int) number(xml.getElementText(), "ns");
                            continue;
                        }
                        case "id" -> {
                            page.id = number(xml.getElementText(), "page id");
                            continue;
                        }
                        case "redirect" -> page.redirect = true;
                        case "revision" -> rev = new RevisionState();
                        default -> {
                            // restrictions, discussionthreadinginfo, upload...: not needed
                        }
                    }
                } else if (rev != null && "revision".equals(parent)) {
                    switch (name) {
                        case "id" -> {
                            rev.id = number(xml.getElementText(), "revision id");
                            continue;
                        }
                        case "timestamp" -> {
                            rev.timestamp = xml.getElementText();
                            continue;
                        }
                        case "model" -> {
                            rev.model = xml.getElementText();
                            continue;
                        }
                        case "text" -> {
                            boolean deleted = xml.getAttributeValue(null, "deleted") != null;
                            String text = xml.getElementText();
                            rev.text = deleted ? null : text;
                            continue;
                        }
                        default -> {
                            // contributor, comment, sha1, ...
                        }
                    }
                }
                open.push(name);
            } else if (event == XMLStreamConstants.END_ELEMENT) {
                String name = open.isEmpty() ? xml.getLocalName() : open.pop();
                if (name.equals("revision") && page != null && rev != null) {
                    keepIfLatest(page, rev);
                    rev = null;
                } else if (name.equals("page") && page != null) {
                    WikiPage p = finish(page);
                    page = null;
                    if (p != null) {
                        return p;
                    }
                }
            }
        }
        done = true;
        return null;
    }

    private static void keepIfLatest(PageState page, RevisionState rev) {
        boolean later = !page.hasRevision || page.timestamp == null || rev.timestamp == null
                || rev.timestamp.compareTo(page.timestamp) >= 0; // ISO 8601 in one format sorts as text
        if (later) {
            page.hasRevision = true;
            page.revisionId = rev.id;
            page.timestamp = rev.timestamp;
            page.model = rev.model;
            page.text = rev.text;
        }
    }

    /** The page to deliver, or null after counting why it is skipped. */
    private WikiPage finish(PageState page) {
        String where = source + ": page " + page.id + " '" + page.title + "' (line " + page.line + ")";
        if (!namespaces.isEmpty() && !namespaces.contains(page.namespace)) {
            skips.add(SkipReason.FILTERED_NAMESPACE, where, "namespace " + page.namespace);
            return null;
        }
        if (page.redirect || (page.text != null && page.text.stripLeading().toUpperCase(Locale.ROOT).startsWith("#REDIRECT"))) {
            skips.add(SkipReason.REDIRECT, where, "redirect");
            return null;
        }
        if (page.text == null) {
            skips.add(SkipReason.MISSING_TEXT, where, page.hasRevision ? "revision text deleted or absent" : "no revision");
            return null;
        }
        location = where;
        return new WikiPage(page.id, page.title, page.namespace, page.revisionId, page.timestamp, page.model, page.text);
    }

    private long number(String text, String what) throws MalformedDataException {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            Location at = xml.getLocation();
            throw new MalformedDataException(source + ": line " + at.getLineNumber() + ", column " + at.getColumnNumber()
                    + ": " + what + " is '" + text + "', not an integer", e);
        }
    }

    private MalformedDataException error(XMLStreamException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MalformedDataException m) {
                return new MalformedDataException(m.getMessage() + " (XML " + position(e) + ")", m); // damaged gzip
            }
        }
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        int m = message.indexOf("Message: ");
        if (m >= 0) {
            message = message.substring(m + "Message: ".length());
        }
        return new MalformedDataException(source + ": " + position(e) + ": broken XML: " + message.strip(), e);
    }

    private static String position(XMLStreamException e) {
        Location at = e.getLocation();
        return at == null ? "position unknown" : "line " + at.getLineNumber() + ", column " + at.getColumnNumber();
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
        try {
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        } finally {
            in.close();
        }
    }
}
