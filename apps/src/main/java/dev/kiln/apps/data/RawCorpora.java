package dev.kiln.apps.data;

import dev.kiln.apps.train.BrownText;
import dev.kiln.apps.train.SpamCorpus;
import dev.kiln.data.text.MailMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The raw corpora {@code kiln data prep} reads, one file per document. Listing a corpus gives
 * only file paths; {@link #load} reads and converts one file, so the caller can stream the
 * corpus (and load files on worker threads) without holding the raw text.
 *
 * <ul>
 *   <li><b>brown</b>: files {@code ca01 .. cr09}, POS tags stripped by {@link BrownText#untag}
 *       (one sentence per line).
 *   <li><b>spam-assassin</b>: group folders {@code spam*} and {@code *ham*} (as {@code kiln train
 *       classify} reads them), one raw message per file; a message becomes its decoded Subject,
 *       a line break and its readable body ({@link MailMessage#text()}). The other headers are
 *       dropped: they describe the collection process, not the message.
 * </ul>
 */
final class RawCorpora {
    static final String BROWN = "brown";
    static final String SPAM = "spam-assassin";
    static final List<String> ALL = List.of(BROWN, SPAM);

    private static final Pattern BROWN_DOC = Pattern.compile("c[a-r]\\d\\d");

    private RawCorpora() {}

    /** Thrown when a corpus folder or its documents are missing; names the data set to fetch. */
    static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String dataSet;

        MissingException(String dataSet, String message) {
            super(message);
            this.dataSet = dataSet;
        }

        String dataSet() {
            return dataSet;
        }
    }

    /** One raw document to read: its id ({@code ca01}, {@code spam-1/0001.xyz}), corpus and file. */
    record Source(String id, String corpus, Path file) {}

    /**
     * A raw document read and converted to text.
     *
     * @param text the text, or null when the file is not a usable document
     * @param malformed why the file is not usable (null when {@code text} is not null)
     * @param rawBytes the size of the file
     */
    record Loaded(Source source, String text, String malformed, long rawBytes) {}

    /** The documents of {@code corpus} under data root {@code root}, in reading order. */
    static List<Source> list(String corpus, Path root) throws IOException {
        return switch (corpus) {
            case BROWN -> brown(root.resolve(BROWN));
            case SPAM -> spam(root.resolve(SPAM));
            default -> throw new IllegalArgumentException("kiln data prep: unknown corpus '" + corpus + "', expected one of " + ALL);
        };
    }

    private static List<Source> brown(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MissingException(BROWN, dir + " is not a directory");
        }
        List<Source> out = new ArrayList<>();
        for (Path f : files(dir)) {
            String name = f.getFileName().toString();
            if (BROWN_DOC.matcher(name).matches()) {
                out.add(new Source(name, BROWN, f));
            }
        }
        if (out.isEmpty()) {
            throw new MissingException(BROWN, dir + " holds no Brown documents (files ca01 .. cr09)");
        }
        return out;
    }

    private static List<Source> spam(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MissingException(SPAM, dir + " is not a directory");
        }
        List<Path> groups;
        try (Stream<Path> s = Files.list(dir)) {
            groups = s.filter(Files::isDirectory).filter(p -> isGroup(p.getFileName().toString())).sorted().toList();
        }
        List<Source> out = new ArrayList<>();
        for (Path group : groups) {
            String g = group.getFileName().toString();
            for (Path f : files(group)) {
                String name = f.getFileName().toString();
                // "cmds" is the corpus tarballs' shell script, not a message
                if (!name.startsWith(".") && !name.equals("cmds")) {
                    out.add(new Source(g + "/" + name, SPAM, f));
                }
            }
        }
        if (out.isEmpty()) {
            throw new MissingException(SPAM, dir + " holds no messages in spam-* or *ham* group folders");
        }
        return out;
    }

    private static boolean isGroup(String name) {
        return SpamCorpus.labelOf(name) >= 0; // the classify app's rule
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Reads {@code source} and converts it to text. Thread-safe. */
    static Loaded load(Source source) throws IOException {
        byte[] bytes = Files.readAllBytes(source.file());
        if (source.corpus().equals(BROWN)) {
            return new Loaded(source, BrownText.untag(new String(bytes, StandardCharsets.UTF_8)), null, bytes.length);
        }
        MailMessage m = MailMessage.parse(bytes);
        // MailMessage reads anything as a message; one without a single header field is not mail
        // (a truncated download, a stray file), and its "body" would be noise in the corpus.
        if (m.headers().size() == 0) {
            return new Loaded(source, null, "malformed mail: no header fields", bytes.length);
        }
        return new Loaded(source, SpamCorpus.text(m), null, bytes.length);
    }
}
