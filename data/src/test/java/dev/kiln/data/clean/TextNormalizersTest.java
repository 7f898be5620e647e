package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class TextNormalizersTest {
    private static String apply(TextNormalizer n, String s) {
        return n.normalize(s);
    }

    @Test
    void nfkcFoldsCompatibilityForms() {
        TextNormalizer n = TextNormalizers.nfkc();
        assertEquals("file", apply(n, "\uFB01le")); // ligature fi
        assertEquals("Hello 12", apply(n, "\uFF28\uFF45\uFF4C\uFF4C\uFF4F \uFF11\uFF12")); // full-width
        assertEquals("x2", apply(n, "x\u00B2")); // superscript two
        assertEquals("\u00E9", apply(n, "e\u0301")); // composed
        assertEquals("a b", apply(n, "a\u00A0b")); // no-break space becomes a space
        String plain = "already normal";
        assertSame(plain, apply(n, plain));
    }

    @Test
    void invisibleCharactersAreRemovedButTabsAndLineBreaksStay() {
        TextNormalizer n = TextNormalizers.invisibleCharacters();
        assertEquals("abcdefgh", apply(n, "a\u200Bb\u00ADc\u0007d\u0085e\uFEFFf\u2060g\u200C\u200Dh"));
        assertEquals("x\ty\nz\r\n", apply(n, "x\u0000\ty\u001F\nz\u007F\r\n\u009F"));
        String plain = "tab\tand\nnewline";
        assertSame(plain, apply(n, plain));
    }

    @Test
    void whitespaceRunsCollapseLineEndsNormaliseAndBlankRunsShrink() {
        TextNormalizer n = TextNormalizers.whitespace();
        assertEquals("a b\n\nc d", apply(n, "  a \t b  \r\n\r\n\r\n c\u00A0\u3000d  \n\n"));
        assertEquals("one\ntwo\nthree\nfour", apply(n, "one\rtwo\u2028three\r\nfour"));
        assertEquals("p1 line\np1 more\n\np2", apply(n, "p1   line   \np1 more\n \t \n\n\np2\n"));
        assertEquals("", apply(n, " \n\t\n "));
        String plain = "a b\n\nc";
        assertSame(plain, apply(n, plain));
    }

    @Test
    void standardRunsAllThreeInOrder() {
        String s = "Ｈｅｌｌｏ\u200B,\u00A0\u00A0wor\u00ADld\uFEFF!\r\n\r\n\r\nNext\u2003\u2003para.  ";
        String out = s;
        for (TextNormalizer n : TextNormalizers.standard()) {
            out = n.normalize(out);
        }
        assertEquals("Hello, world!\n\nNext para.", out);
    }
}
