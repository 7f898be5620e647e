package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kiln train classify}'s scores against counts worked out by hand. */
class BinaryScoresTest {
    @Test
    void binaryScoresOnAHandCheckedCase() {
        // actual:    1 1 1 1 1 0 0 0 0 0
        // predicted: 1 1 1 0 0 1 0 0 0 0  -> tp 3, fn 2, fp 1, tn 4
        BinaryScores c = BinaryScores.of(new int[] {1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, new int[] {1, 1, 1, 0, 0, 1, 0, 0, 0, 0});
        assertEquals(List.of(3L, 1L, 4L, 2L), List.of(c.tp(), c.fp(), c.tn(), c.fn()));
        assertEquals(0.7, c.accuracy(), 1e-15);
        assertEquals(0.75, c.precision(), 1e-15);
        assertEquals(0.6, c.recall(), 1e-15);
        assertEquals(2 * 0.75 * 0.6 / (0.75 + 0.6), c.f1(), 1e-15);
        assertEquals(List.of(List.of(4L, 1L), List.of(2L, 3L)), c.matrix());
        // nothing predicted positive: precision and F1 undefined, reported as 0 (sklearn's zero_division=0)
        BinaryScores none = BinaryScores.of(new int[] {1, 0, 0}, new int[] {0, 0, 0});
        assertEquals(0.0, none.precision());
        assertEquals(0.0, none.recall());
        assertEquals(0.0, none.f1());
        assertEquals(2 / 3.0, none.accuracy(), 1e-15);
        BinaryScores noPositives = BinaryScores.of(new int[] {0, 0}, new int[] {0, 0});
        assertEquals(0.0, noPositives.recall(), "no actual positives: recall undefined, 0");
    }
}
