package dev.kiln.apps.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Brown corpus as plain text for character-level language modelling: each document file
 * ({@code ca01} .. {@code cr09}, one tab-indented sentence of {@code word/TAG} tokens per line,
 * sentences separated by blank lines) becomes its words joined by single spaces, one sentence per
 * line. The tags are dropped ({@code Fulton/np-tl} becomes {@code Fulton}); the words keep the
 * corpus's own tokenisation ({@code ``} and {@code ''} for quotes, punctuation as separate words).
 */
public final class BrownText {
    private static final Pattern DOC = Pattern.compile("c[a-r]\\d\\d");

    private BrownText() {}

    /** Thrown when the directory or its documents are missing. */
    public static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message) {
            super(message);
        }
    }

    /** One document: its file name ({@code ca01}) and its text. */
    public record Document(String name, String text) {}

    /**
     * Reads the documents of {@code dir} in name order.
     *
     * @param limit read only the first {@code limit} documents (0: all)
     */
    public static List<Document> read(Path dir, int limit) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MissingException(dir + " is not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> DOC.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new MissingException(dir + " holds no Brown documents (files ca01 .. cr09)");
        }
        if (limit > 0 && limit < files.size()) {
            files = files.subList(0, limit);
        }
        List<Document> docs = new ArrayList<>(files.size());
        for (Path f : files) {
            docs.add(new Document(f.getFileName().toString(), untag(Files.readString(f, StandardCharsets.UTF_8))));
        }
        return docs;
    }

    /** {@code word/TAG} lines to plain sentences, one per line (blank lines dropped). */
    public static String untag(String tagged) {
        StringBuilder sb = new StringBuilder(tagged.length() / 2);
        for (String line : tagged.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            boolean first = true;
            for (String tok : l.split("\\s+")) {
                int slash = tok.lastIndexOf('/');
                String word = slash > 0 ? tok.substring(0, slash) : tok; // a token without a tag is kept whole
                if (!first) {
                    sb.append(' ');
                }
                sb.append(word);
                first = false;
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
