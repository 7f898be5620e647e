package dev.kiln.data.clean;

import java.util.Locale;

/**
 * The line- and page-level heuristics of C4 (Raffel et al. 2020, "Exploring the Limits of Transfer
 * Learning", section 2.2), written from the paper. Not part of {@link CleaningPipeline#standard()}:
 * C4's rules are aggressive (they drop most list items, headings and code) and suit web crawls
 * more than curated text.
 */
public final class C4Rules {
    /** Marks that end a sentence: C4's period, exclamation mark, question mark and closing quote, plus CJK full stops. */
    public static final String TERMINAL_PUNCTUATION = ".!?\"'”’。！？";

    private C4Rules() {}

    /**
     * Keeps only lines that end in terminal punctuation and have at least {@code minWords} words
     * (C4: 3), and drops lines mentioning "javascript" (C4's "please enable JavaScript" notices).
     * Blank lines are kept so paragraphs survive.
     */
    public static TextNormalizer terminalPunctuationLines(int minWords) {
        if (minWords < 0) {
            throw new IllegalArgumentException("C4Rules.terminalPunctuationLines: minWords must be >= 0, got " + minWords);
        }
        return TextNormalizer.of("c4-lines", text -> {
            String[] lines = text.split("\n", -1);
            StringBuilder out = new StringBuilder(text.length());
            boolean changed = false;
            for (String line : lines) {
                String s = line.strip();
                boolean keep = s.isEmpty() || (TERMINAL_PUNCTUATION.indexOf(s.charAt(s.length() - 1)) >= 0
                        && new TextParts(s).words().size() >= minWords
                        && !s.toLowerCase(Locale.ROOT).contains("javascript"));
                if (!keep) {
                    changed = true;
                    continue;
                }
                if (!out.isEmpty()) {
                    out.append('\n');
                }
                out.append(line);
            }
            return changed ? out.toString() : text;
        });
    }

    /** Drops pages containing "lorem ipsum" (any case): placeholder text. */
    public static TextFilter loremIpsum() {
        return TextFilter.of("c4-lorem-ipsum", t -> t.text().toLowerCase(Locale.ROOT).contains("lorem ipsum")
                ? Decision.drop("contains lorem ipsum")
                : Decision.KEEP);
    }

    /** Drops pages containing a curly bracket, C4's signal for code. */
    public static TextFilter curlyBracket() {
        return TextFilter.of("c4-curly-bracket", t -> t.text().indexOf('{') >= 0 || t.text().indexOf('}') >= 0
                ? Decision.drop("contains a curly bracket")
                : Decision.KEEP);
    }

    /**
     * Drops pages with fewer than {@code min} sentences (C4: 5), counting a sentence as a run of
     * text ended by one or more terminal punctuation marks.
     */
    public static TextFilter minSentences(int min) {
        if (min < 0) {
            throw new IllegalArgumentException("C4Rules.minSentences: min must be >= 0, got " + min);
        }
        return TextFilter.of("c4-min-sentences", t -> {
            String s = t.text();
            int sentences = 0;
            boolean inText = false;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (TERMINAL_PUNCTUATION.indexOf(c) >= 0 && c != '"' && c != '\'') {
                    if (inText) {
                        sentences++;
                    }
                    inText = false;
                } else if (!Character.isWhitespace(c) && c != '"' && c != '\'' && c != '”' && c != '’') {
                    inText = true;
                }
            }
            return sentences < min ? Decision.drop("fewer than " + min + " sentences") : Decision.KEEP;
        });
    }
}
