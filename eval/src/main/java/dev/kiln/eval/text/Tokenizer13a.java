package dev.kiln.eval.text;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The "13a" tokenizer of mteval-v13a.pl as sacreBLEU implements it (its default for BLEU): drop
 * {@code <skipped>}, join words hyphenated across a line break ({@code "-\n"}), turn the remaining
 * line breaks into spaces, unescape {@code &quot; &amp; &lt; &gt;} (in that order), then split off
 * punctuation and symbols, periods and commas unless next to a digit, and a dash after a digit,
 * and collapse whitespace to single spaces.
 *
 * <p>The four regular expressions are sacreBLEU's, character for character; Java's and Python's
 * engines agree on them (code-point matching, leftmost non-overlapping replacement).
 */
public final class Tokenizer13a {
    private Tokenizer13a() {}

    /** Symbols: {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ and '/'; not the apostrophe, comma, period or dash. */
    private static final Pattern SYMBOL = Pattern.compile("([{-~\\[-` -&(-+:-@/])");
    /** A period or comma after a non-digit. */
    private static final Pattern PUNCT_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    /** A period or comma before a non-digit. */
    private static final Pattern PUNCT_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    /** A dash after a digit. */
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

    /** The tokens of {@code line} joined by single spaces. */
    public static String tokenize(String line) {
        Objects.requireNonNull(line, "Tokenizer13a.tokenize: line must not be null");
        String s = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ");
        if (s.indexOf('&') >= 0) {
            s = s.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        }
        s = " " + s + " ";
        s = SYMBOL.matcher(s).replaceAll(" $1 ");
        s = PUNCT_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = PUNCT_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
        s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
        return String.join(" ", PythonWhitespace.split(s));
    }
}
