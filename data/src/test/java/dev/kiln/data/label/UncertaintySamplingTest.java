package dev.kiln.data.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.label.UncertaintySampling.Strategy;
import org.junit.jupiter.api.Test;

class UncertaintySamplingTest {
    private static final double[][] P = {
        {0.90, 0.05, 0.05}, // confident
        {0.40, 0.35, 0.25}, // LC 0.60, margin 1 - 0.05 = 0.95
        {0.50, 0.50, 0.00}, // LC 0.50, margin 1.00, entropy ln 2
        {0.34, 0.33, 0.33}, // LC 0.66, margin 0.99, entropy ~ ln 3
        {0.45, 0.10, 0.45}, // LC 0.55, margin 1.00
    };

    @Test
    void scoresByHand() {
        assertEquals(0.60, UncertaintySampling.uncertainty(P[1], Strategy.LEAST_CONFIDENCE), 1e-12);
        assertEquals(0.95, UncertaintySampling.uncertainty(P[1], Strategy.MARGIN), 1e-12);
        assertEquals(Math.log(2), UncertaintySampling.uncertainty(P[2], Strategy.ENTROPY), 1e-12);
        double h = -(0.34 * Math.log(0.34) + 2 * 0.33 * Math.log(0.33));
        assertEquals(h, UncertaintySampling.uncertainty(P[3], Strategy.ENTROPY), 1e-12);
        assertEquals(2, UncertaintySampling.argmax(new double[] {0.1, 0.2, 0.7}));
        assertEquals(0, UncertaintySampling.argmax(new double[] {0.5, 0.5})); // first on ties
    }

    @Test
    void selectionOrdersByUncertaintyThenIndex() {
        assertArrayEquals(new int[] {3, 1, 4}, UncertaintySampling.select(P, 3, Strategy.LEAST_CONFIDENCE));
        // margins: 2 and 4 tie at 1.0 (index order), then 3 (0.99), 1 (0.95), 0
        assertArrayEquals(new int[] {2, 4, 3, 1, 0}, UncertaintySampling.select(P, 10, Strategy.MARGIN));
        // entropies: 3 (1.0985), 1 (1.0805), 4 (0.9433), 2 (0.6931), 0
        assertArrayEquals(new int[] {3, 1, 4, 2}, UncertaintySampling.select(P, 4, Strategy.ENTROPY));
        assertArrayEquals(new int[0], UncertaintySampling.select(P, 0, Strategy.ENTROPY));
    }

    @Test
    void badProbabilitiesNameTheRow() {
        double[][] logits = {{0.2, 0.8}, {2.0, -1.0}};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UncertaintySampling.select(logits, 1, Strategy.MARGIN))
                .getMessage().contains("row 1 has probability 2.0"));
        double[][] unnormalised = {{0.2, 0.7}};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UncertaintySampling.select(unnormalised, 1, Strategy.MARGIN))
                .getMessage().contains("row 0 sums to 0.900000, expected 1"));
        double[][] ragged = {{0.5, 0.5}, {1.0}};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UncertaintySampling.select(ragged, 1, Strategy.MARGIN))
                .getMessage().contains("row 1 has 1 probabilities, expected 2"));
    }
}
