package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.clean.QualityFilters.AlphabeticWords;
import dev.kiln.data.clean.QualityFilters.BulletLines;
import dev.kiln.data.clean.QualityFilters.EllipsisLines;
import dev.kiln.data.clean.QualityFilters.MeanWordLength;
import dev.kiln.data.clean.QualityFilters.SymbolRatio;
import dev.kiln.data.clean.QualityFilters.WordCount;
import java.util.List;
import org.junit.jupiter.api.Test;

class QualityFiltersTest {
    private static Decision decide(TextFilter f, String text) {
        return f.decide(new TextParts(text));
    }

    private static String words(int n, String word) {
        return String.join(" ", java.util.Collections.nCopies(n, word));
    }

    @Test
    void wordCountBoundsAreInclusive() {
        WordCount f = new WordCount(3, 5);
        assertEquals(Decision.drop("fewer than 3 words"), decide(f, "a  b\n"));
        assertEquals(Decision.KEEP, decide(f, "a\tb\nc"));
        assertEquals(Decision.KEEP, decide(f, words(5, "w")));
        assertEquals(Decision.drop("more than 5 words"), decide(f, words(6, "w")));
        assertEquals(new WordCount(50, 100_000), WordCount.DEFAULT);
    }

    @Test
    void meanWordLengthCountsCodePoints() {
        MeanWordLength f = MeanWordLength.DEFAULT; // [3, 10]
        assertEquals(Decision.drop("mean word length below 3"), decide(f, "ab cd"));
        assertEquals(Decision.KEEP, decide(f, "ab cdef")); // mean exactly 3
        assertEquals(Decision.KEEP, decide(f, "\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00")); // 3 emoji: 3 code points, 6 chars
        assertEquals(Decision.drop("mean word length above 10"), decide(f, "abcdefghijk"));
        assertEquals(Decision.drop("no words"), decide(f, " \n "));
    }

    @Test
    void symbolRatioCountsHashesAndEllipses() {
        SymbolRatio f = SymbolRatio.DEFAULT; // 0.1
        String nine = words(9, "word");
        assertEquals(Decision.KEEP, decide(f, nine + " #tag")); // 1 / 10 is not above 0.1
        assertEquals(Decision.drop("hash-to-word ratio above 0.1"), decide(f, nine + " #a#b"));
        assertEquals(Decision.KEEP, decide(f, nine + " end..."));
        // "......" is two ellipses, "……" two more: 4 / 10
        assertEquals(Decision.drop("ellipsis-to-word ratio above 0.1"), decide(f, nine + " x......\u2026\u2026"));
        assertEquals(Decision.drop("ellipsis-to-word ratio above 0.1"), decide(f, nine + " a... b..."));
    }

    @Test
    void bulletAndEllipsisLineFractions() {
        StringBuilder nineBullets = new StringBuilder("plain line\n");
        for (int i = 0; i < 9; i++) {
            nineBullets.append(i % 2 == 0 ? "• item\n" : "- item\n");
        }
        assertEquals(Decision.KEEP, decide(BulletLines.DEFAULT, nineBullets.toString())); // 9/10
        assertEquals(Decision.drop("more than 0.9 of lines start with a bullet"),
                decide(BulletLines.DEFAULT, nineBullets.toString().replace("plain line", "* first")));
        String three = "a...\nb\u2026\nc...\nd\ne\nf\ng\nh\ni\nj\n";
        assertEquals(Decision.KEEP, decide(EllipsisLines.DEFAULT, three)); // 3/10
        assertEquals(Decision.drop("more than 0.3 of lines end with an ellipsis"),
                decide(EllipsisLines.DEFAULT, three.replace("\nd\n", "\nd...\n")));
    }

    @Test
    void alphabeticWordsAcceptAnyScript() {
        AlphabeticWords f = AlphabeticWords.DEFAULT; // 0.8
        assertEquals(Decision.KEEP, decide(f, "1 2 a b c d e f g h")); // 8/10
        assertEquals(Decision.drop("fewer than 0.8 of words contain a letter"), decide(f, "1 2 3 a b c d e f g"));
        assertEquals(Decision.KEEP, decide(f, "42 日本語 Ελληνικά кириллица עברית mixed7 x y z w"));
    }

    @Test
    void thresholdsAreValidated() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WordCount(10, 5)).getMessage()
                .contains("min=10 max=5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BulletLines(1.5)).getMessage()
                .contains("maxFraction must be in [0, 1], got 1.5"));
    }

    @Test
    void gopherListHasEveryFilterOnce() {
        List<TextFilter> all = QualityFilters.gopher();
        assertEquals(List.of("word-count", "mean-word-length", "symbol-ratio", "bullet-lines", "ellipsis-lines",
                "alphabetic-words"), all.stream().map(TextFilter::name).toList());
    }
}
