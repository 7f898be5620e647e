package dev.kiln.data.clean;

import dev.kiln.data.dedup.Hash64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Removes boilerplate lines: navigation, share buttons, cookie and newsletter notices, copyright
 * footers. The rule: a line is removed when
 * <ol>
 *   <li>it matches one of the {@code patterns} ({@link Pattern#matcher find} on the stripped
 *       line), or
 *   <li>a {@link LineFrequencies} was given and the line, compared after stripping, collapsing
 *       whitespace and lower-casing, occurs in at least {@code minDocuments} distinct documents of
 *       the corpus.
 * </ol>
 * Blank lines are kept (the whitespace normaliser deals with them). Rule 2 needs a first pass over
 * the corpus ({@link LineFrequencies#count}) before this normaliser runs; choose {@code
 * minDocuments} well above the number of documents that may legitimately share a line (a quoted
 * sentence, a chapter heading): a site footer repeats in thousands of pages, a quotation in a
 * handful. The default patterns ({@link #DEFAULT_PATTERNS}) only match whole short lines or
 * phrases that occur in notices, so prose that merely mentions cookies survives.
 */
public final class BoilerplateLines implements TextNormalizer {
    /** Notices that recur across the web; each is case-insensitive. */
    public static final List<Pattern> DEFAULT_PATTERNS = List.of(
            Pattern.compile("(?i)^(please\\s+)?(subscribe|sign up)\\b.{0,80}$"),
            Pattern.compile("(?i)\\b(this|our) (web)?site uses cookies\\b"),
            Pattern.compile("(?i)\\bwe use cookies\\b"),
            Pattern.compile("(?i)^(accept|allow|reject) (all )?cookies\\b.{0,40}$"),
            Pattern.compile("(?i)^(share|tweet|pin it|print|email)( (this|on facebook|on twitter|on x))?"
                    + "(\\s*[|·•/-]\\s*(share|tweet|pin it|print|email)( (this|on facebook|on twitter|on x))?)*\\s*[:!]?$"),
            Pattern.compile("(?i)\\ball rights reserved\\b"),
            Pattern.compile("(?i)^(click here|read more|continue reading)\\b.{0,40}$"),
            Pattern.compile("(?i)\\b(enable|turn on) javascript\\b|\\bjavascript (is )?(disabled|required)\\b"),
            Pattern.compile("(?i)^((privacy|cookie) policy|terms (of (use|service)|and conditions)|contact( us)?|sitemap)"
                    + "(\\s*[|·•/-]\\s*((privacy|cookie) policy|terms (of (use|service)|and conditions)|contact( us)?|sitemap))*$"));

    private final List<Pattern> patterns;
    private final LineFrequencies frequencies;
    private final int minDocuments;

    private BoilerplateLines(List<Pattern> patterns, LineFrequencies frequencies, int minDocuments) {
        this.patterns = List.copyOf(patterns);
        this.frequencies = frequencies;
        this.minDocuments = minDocuments;
    }

    /** Removes lines matching any of {@code patterns} (rule 1 only). */
    public static BoilerplateLines matching(List<Pattern> patterns) {
        Objects.requireNonNull(patterns, "BoilerplateLines.matching: patterns");
        return new BoilerplateLines(patterns, null, Integer.MAX_VALUE);
    }

    /**
     * Removes lines matching any of {@code patterns} and lines that {@code frequencies} saw in at
     * least {@code minDocuments} documents.
     */
    public static BoilerplateLines repeatedOrMatching(LineFrequencies frequencies, int minDocuments, List<Pattern> patterns) {
        Objects.requireNonNull(frequencies, "BoilerplateLines.repeatedOrMatching: frequencies");
        Objects.requireNonNull(patterns, "BoilerplateLines.repeatedOrMatching: patterns");
        if (minDocuments < 2) {
            throw new IllegalArgumentException("BoilerplateLines: minDocuments must be >= 2 (a line in one document is not"
                    + " repeated), got " + minDocuments);
        }
        return new BoilerplateLines(patterns, frequencies, minDocuments);
    }

    @Override
    public String name() {
        return "boilerplate-lines";
    }

    /** Whether {@code line} is boilerplate under this normaliser's rule. */
    public boolean isBoilerplate(String line) {
        String s = line.strip();
        if (s.isEmpty()) {
            return false;
        }
        for (Pattern p : patterns) {
            if (p.matcher(s).find()) {
                return true;
            }
        }
        return frequencies != null && frequencies.documentsContaining(s) >= minDocuments;
    }

    @Override
    public String normalize(String text) {
        String[] lines = text.split("\n", -1);
        StringBuilder out = new StringBuilder(text.length());
        boolean removed = false;
        boolean first = true;
        for (String line : lines) {
            if (isBoilerplate(line)) {
                removed = true;
                continue;
            }
            if (!first) {
                out.append('\n');
            }
            out.append(line);
            first = false;
        }
        return removed ? out.toString() : text;
    }

    /** The comparison key of a line: stripped, whitespace runs as one space, lower-cased. */
    static String key(String line) {
        return line.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /**
     * How many documents of a corpus contain each line (a line repeated inside one document counts
     * once). Thread-safe: count documents from many threads at once. Lines are stored as 64-bit
     * hashes of their {@linkplain #key key}, so memory grows with the number of distinct lines (16
     * bytes of payload each), not their length.
     */
    public static final class LineFrequencies {
        private final ConcurrentHashMap<Long, AtomicInteger> counts = new ConcurrentHashMap<>();
        private final AtomicInteger documents = new AtomicInteger();

        /** Counts the distinct non-blank lines of one document. */
        public void count(String document) {
            Set<Long> distinct = new HashSet<>();
            for (String line : document.split("\r\n|[\n\r]")) {
                if (!line.isBlank()) {
                    distinct.add(Hash64.of(key(line)));
                }
            }
            for (Long h : distinct) {
                counts.computeIfAbsent(h, k -> new AtomicInteger()).incrementAndGet();
            }
            documents.incrementAndGet();
        }

        /** The number of counted documents containing {@code line} (compared by its key). */
        public int documentsContaining(String line) {
            AtomicInteger c = counts.get(Hash64.of(key(line)));
            return c == null ? 0 : c.get();
        }

        /** The number of documents counted. */
        public int documents() {
            return documents.get();
        }
    }
}
