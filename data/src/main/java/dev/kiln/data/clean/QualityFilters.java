package dev.kiln.data.clean;

import java.util.List;

/**
 * Document-quality heuristics of the Gopher paper (Rae et al. 2021, "Scaling Language Models",
 * appendix A.1.1), written from its published thresholds. Each is a small record whose fields are
 * its thresholds, so a corpus that needs other values builds its own ({@code new WordCount(20,
 * 1_000_000)}); {@code DEFAULT} holds the paper's. Words, lines and the character-count
 * conventions are those of {@link TextParts}.
 *
 * <p>The stop-word test of the paper (two of "the, be, to, of, and, that, have, with") is English
 * only and is left out; the repetition heuristics are in {@link RepetitionFilters}.
 */
public final class QualityFilters {
    private QualityFilters() {}

    /** The Gopher quality filters with the paper's thresholds, cheapest first. */
    public static List<TextFilter> gopher() {
        return List.of(WordCount.DEFAULT, MeanWordLength.DEFAULT, SymbolRatio.DEFAULT,
                BulletLines.DEFAULT, EllipsisLines.DEFAULT, AlphabeticWords.DEFAULT);
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void checkFraction(String filter, String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(filter + ": " + name + " must be in [0, 1], got " + v);
        }
    }

    /** Keeps documents with {@code min <= words <= max} (Gopher: 50 and 100,000). */
    public record WordCount(int min, int max) implements TextFilter {
        public static final WordCount DEFAULT = new WordCount(50, 100_000);

        public WordCount {
            if (min < 0 || max < min) {
                throw new IllegalArgumentException("WordCount: need 0 <= min <= max, got min=" + min + " max=" + max);
            }
        }

        @Override
        public String name() {
            return "word-count";
        }

        @Override
        public Decision decide(TextParts text) {
            int n = text.words().size();
            if (n < min) {
                return Decision.drop("fewer than " + min + " words");
            }
            return n > max ? Decision.drop("more than " + max + " words") : Decision.KEEP;
        }
    }

    /**
     * Keeps documents whose mean word length, in code points, is within {@code [min, max]}
     * (Gopher: 3 to 10). A document without words is dropped.
     */
    public record MeanWordLength(double min, double max) implements TextFilter {
        public static final MeanWordLength DEFAULT = new MeanWordLength(3, 10);

        public MeanWordLength {
            if (!(min >= 0 && max >= min)) {
                throw new IllegalArgumentException("MeanWordLength: need 0 <= min <= max, got min=" + min + " max=" + max);
            }
        }

        @Override
        public String name() {
            return "mean-word-length";
        }

        @Override
        public Decision decide(TextParts text) {
            List<String> words = text.words();
            if (words.isEmpty()) {
                return Decision.drop("no words");
            }
            long codePoints = 0;
            for (String w : words) {
                codePoints += w.codePointCount(0, w.length());
            }
            double mean = (double) codePoints / words.size();
            if (mean < min) {
                return Decision.drop("mean word length below " + format(min));
            }
            return mean > max ? Decision.drop("mean word length above " + format(max)) : Decision.KEEP;
        }
    }

    /**
     * Drops documents where (number of {@code #}) / words or (number of ellipses, {@code "..."} or
     * {@code "…"}, counted without overlap) / words exceeds {@code maxRatio} (Gopher: 0.1). Such
     * text is mostly hashtags or truncated snippets.
     */
    public record SymbolRatio(double maxRatio) implements TextFilter {
        public static final SymbolRatio DEFAULT = new SymbolRatio(0.1);

        public SymbolRatio {
            if (!(maxRatio >= 0)) {
                throw new IllegalArgumentException("SymbolRatio: maxRatio must be >= 0, got " + maxRatio);
            }
        }

        @Override
        public String name() {
            return "symbol-ratio";
        }

        @Override
        public Decision decide(TextParts text) {
            int words = text.words().size();
            if (words == 0) {
                return Decision.KEEP; // nothing to take a ratio of; the word-count filter decides
            }
            String s = text.text();
            int hashes = 0;
            int ellipses = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '#') {
                    hashes++;
                } else if (c == '\u2026') {
                    ellipses++;
                } else if (c == '.' && s.startsWith("...", i)) {
                    ellipses++;
                    i += 2;
                }
            }
            if ((double) hashes / words > maxRatio) {
                return Decision.drop("hash-to-word ratio above " + format(maxRatio));
            }
            return (double) ellipses / words > maxRatio
                    ? Decision.drop("ellipsis-to-word ratio above " + format(maxRatio))
                    : Decision.KEEP;
        }
    }

    /**
     * Drops documents where more than {@code maxFraction} of the lines start with a bullet
     * (Gopher: 0.9). Bullets: {@code • ‣ ⁃ ◦ ▪ ▫ ● ○ ■ □ – - *} — the typographic ones and the
     * Markdown list markers.
     */
    public record BulletLines(double maxFraction) implements TextFilter {
        public static final BulletLines DEFAULT = new BulletLines(0.9);
        private static final String BULLETS = "•‣⁃◦▪▫●○■□–-*";

        public BulletLines {
            checkFraction("BulletLines", "maxFraction", maxFraction);
        }

        @Override
        public String name() {
            return "bullet-lines";
        }

        @Override
        public Decision decide(TextParts text) {
            List<String> lines = text.lines();
            if (lines.isEmpty()) {
                return Decision.KEEP;
            }
            int bullets = 0;
            for (String line : lines) {
                if (BULLETS.indexOf(line.charAt(0)) >= 0) {
                    bullets++;
                }
            }
            return (double) bullets / lines.size() > maxFraction
                    ? Decision.drop("more than " + format(maxFraction) + " of lines start with a bullet")
                    : Decision.KEEP;
        }
    }

    /** Drops documents where more than {@code maxFraction} of the lines end with "..." or "…" (Gopher: 0.3). */
    public record EllipsisLines(double maxFraction) implements TextFilter {
        public static final EllipsisLines DEFAULT = new EllipsisLines(0.3);

        public EllipsisLines {
            checkFraction("EllipsisLines", "maxFraction", maxFraction);
        }

        @Override
        public String name() {
            return "ellipsis-lines";
        }

        @Override
        public Decision decide(TextParts text) {
            List<String> lines = text.lines();
            if (lines.isEmpty()) {
                return Decision.KEEP;
            }
            int ending = 0;
            for (String line : lines) {
                if (line.endsWith("...") || line.endsWith("\u2026")) {
                    ending++;
                }
            }
            return (double) ending / lines.size() > maxFraction
                    ? Decision.drop("more than " + format(maxFraction) + " of lines end with an ellipsis")
                    : Decision.KEEP;
        }
    }

    /**
     * Drops documents where fewer than {@code minFraction} of the words contain a letter of any
     * script ({@link Character#isLetter(int)}; Gopher: 0.8). Catches tables of numbers, code
     * dumps and symbol soup.
     */
    public record AlphabeticWords(double minFraction) implements TextFilter {
        public static final AlphabeticWords DEFAULT = new AlphabeticWords(0.8);

        public AlphabeticWords {
            checkFraction("AlphabeticWords", "minFraction", minFraction);
        }

        @Override
        public String name() {
            return "alphabetic-words";
        }

        @Override
        public Decision decide(TextParts text) {
            List<String> words = text.words();
            if (words.isEmpty()) {
                return Decision.KEEP;
            }
            int alphabetic = 0;
            for (String w : words) {
                if (w.codePoints().anyMatch(Character::isLetter)) {
                    alphabetic++;
                }
            }
            return (double) alphabetic / words.size() < minFraction
                    ? Decision.drop("fewer than " + format(minFraction) + " of words contain a letter")
                    : Decision.KEEP;
        }
    }
}
