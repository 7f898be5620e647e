package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BoilerplateLinesTest {
    @Test
    void defaultPatternsCatchNoticesButNotProse() {
        BoilerplateLines b = BoilerplateLines.matching(BoilerplateLines.DEFAULT_PATTERNS);
        for (String line : List.of("Subscribe to our newsletter!", "  SIGN UP today ", "This site uses cookies to improve your experience.",
                "We use cookies.", "Accept all cookies", "Share | Tweet | Email", "Share on Facebook",
                "© 2024 Foo Corp. All rights reserved.", "Read more", "Click here to download",
                "Please enable JavaScript to view the comments.", "Privacy Policy | Terms of Use | Contact us")) {
            assertTrue(b.isBoilerplate(line), line);
        }
        for (String line : List.of("The subscriber base grew by a third in 2023, the report says.",
                "Cookies are baked at 180 degrees for twelve minutes.", "We shared the cake with the neighbours.",
                "Her privacy policy argument did not convince the court, which ruled against her.", "")) {
            assertFalse(b.isBoilerplate(line), line);
        }
    }

    @Test
    void normalizeDropsMatchingLinesAndKeepsTheRest() {
        BoilerplateLines b = BoilerplateLines.matching(List.of(Pattern.compile("(?i)^subscribe\\b")));
        assertEquals("Intro.\n\nBody text.", b.normalize("Intro.\nSubscribe now!\n\nBody text.\nsubscribe"));
        String clean = "Nothing to remove.\nAt all.";
        assertSame(clean, b.normalize(clean));
    }

    @Test
    void linesRepeatedAcrossEnoughDocumentsAreRemoved() {
        BoilerplateLines.LineFrequencies freq = new BoilerplateLines.LineFrequencies();
        String footer = "Posted by admin in Uncategorized";
        List<String> docs = List.of(
                "First story.\nQuoted line.\n" + footer,
                "Second story.\n" + footer + "\n" + footer, // twice in one document counts once
                "Third story.\nQuoted line.\n  posted   BY admin in uncategorized  ", // same key: case and spaces
                "Fourth story, no footer.");
        IntStream.range(0, docs.size()).parallel().forEach(i -> freq.count(docs.get(i)));
        assertEquals(4, freq.documents());
        assertEquals(3, freq.documentsContaining(footer));
        assertEquals(2, freq.documentsContaining("quoted line."));
        BoilerplateLines b = BoilerplateLines.repeatedOrMatching(freq, 3, List.of());
        assertEquals("First story.\nQuoted line.", b.normalize(docs.get(0)));
        assertEquals("Third story.\nQuoted line.", b.normalize(docs.get(2)));
        BoilerplateLines strict = BoilerplateLines.repeatedOrMatching(freq, 4, List.of());
        assertSame(docs.get(0), strict.normalize(docs.get(0)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BoilerplateLines.repeatedOrMatching(freq, 1, List.of()))
                .getMessage().contains("minDocuments must be >= 2"));
    }
}
