package dev.kiln.data.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class WeakLabelerTest {
    private static final List<LabelingFunction> FUNCTIONS = List.of(
            LabelingFunction.keywords("kw_money", "spam", List.of("free money", "winner")),
            LabelingFunction.regex("re_link", "spam", Pattern.compile("https?://\\S+")),
            LabelingFunction.keywords("kw_meeting", "ham", List.of("meeting", "agenda")),
            LabelingFunction.predicate("short", "ham", t -> t.length() < 12));

    // votes, by hand:            money  link   meeting short
    private static final List<String> TEXTS = List.of(
            "Winner! claim http://x.io", // spam   spam   -      -
            "Meeting agenda attached", //   -      -      ham    -
            "hi there", //                  -      -      -      ham
            "FREE MONEY at the meeting", // spam   -      ham    -
            "see http://a.b", //            -      spam   -      -
            "categorically nothing here", //-     -      -      -     ("meeting" not a whole word nowhere)
            "winnerless meetings"); //      -      -      -      -     (not whole words)

    @Test
    void keywordsMatchWholeWordsIgnoringCase() {
        LabelingFunction kw = FUNCTIONS.getFirst();
        assertEquals("spam", kw.vote("WINNER"));
        assertEquals("spam", kw.vote("you are a winner."));
        assertNull(kw.vote("winners"));
        assertNull(kw.vote("get free  money")); // internal spacing differs: no match
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LabelingFunction.keywords("k", "x", List.of(" ")))
                .getMessage().contains("blank keyword"));
    }

    @Test
    void matrixMajorityVoteAndSnorkelStatistics() {
        LabelMatrix m = new WeakLabeler(FUNCTIONS).apply(TEXTS, 2);
        assertEquals(7, m.examples());
        assertEquals("spam", m.vote(0, 1));
        assertNull(m.vote(5, 2));
        // example 3 ties spam 1 : ham 1
        assertArrayEquals(new String[] {"spam", "ham", "ham", null, "spam", null, null}, m.majorityVote(TiePolicy.ABSTAIN));
        assertArrayEquals(new String[] {"spam", "ham", "ham", "ham", "spam", null, null}, m.majorityVote(TiePolicy.FIRST_LABEL));
        assertEquals(5.0 / 7, m.coverage(), 1e-15);
        assertEquals(2.0 / 7, m.overlap(), 1e-15); // examples 0 and 3
        assertEquals(1.0 / 7, m.conflict(), 1e-15); // example 3

        List<LfSummary> s = m.summary(Arrays.asList("spam", "ham", "ham", "spam", "ham", "ham", null));
        LfSummary money = s.get(0);
        assertEquals(Set.of("spam"), money.polarity());
        assertEquals(2.0 / 7, money.coverage(), 1e-15); // 0, 3
        assertEquals(2.0 / 7, money.overlaps(), 1e-15); // 0 (link), 3 (meeting)
        assertEquals(1.0 / 7, money.conflicts(), 1e-15); // 3
        assertEquals(2, money.correct());
        assertEquals(0, money.incorrect());
        LfSummary link = s.get(1);
        assertEquals(2.0 / 7, link.coverage(), 1e-15); // 0, 4
        assertEquals(1.0 / 7, link.overlaps(), 1e-15);
        assertEquals(0, link.conflicts());
        assertEquals(1, link.correct()); // example 4's gold is ham
        assertEquals(1, link.incorrect());
        assertEquals(0.5, link.empiricalAccuracy());
        LfSummary meeting = s.get(2);
        assertEquals(1.0 / 7, meeting.conflicts(), 1e-15);
        assertEquals(1, meeting.incorrect()); // example 3
        LfSummary shortText = s.get(3);
        assertEquals(1.0 / 7, shortText.coverage(), 1e-15);
        assertEquals(0, shortText.overlaps());
        assertTrue(Double.isNaN(m.summary().getFirst().empiricalAccuracy()));

        String table = m.summaryTable(null);
        assertTrue(table.contains("kw_money"), table);
        assertTrue(table.contains("examples 7, coverage 0.7143, overlap 0.2857, conflict 0.1429"), table);
    }

    @Test
    void parallelAndSequentialMatricesAgree() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(TEXTS.get(i % TEXTS.size()) + " #" + i);
        }
        LabelMatrix a = new WeakLabeler(FUNCTIONS).apply(many, 1);
        LabelMatrix b = new WeakLabeler(FUNCTIONS).apply(many, 4);
        assertArrayEquals(a.majorityVote(TiePolicy.ABSTAIN), b.majorityVote(TiePolicy.ABSTAIN));
        assertEquals(a.summary(), b.summary());
    }

    @Test
    void duplicateNamesAndNullTextsAreErrors() {
        LabelingFunction f = LabelingFunction.predicate("same", "x", t -> true);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WeakLabeler(List.of(f, f))).getMessage()
                .contains("two labeling functions are named 'same'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WeakLabeler(List.of(f)).apply(
                Arrays.asList("a", null), 1)).getMessage().contains("text 1 is null"));
    }
}
