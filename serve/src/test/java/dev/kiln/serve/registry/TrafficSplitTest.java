package dev.kiln.serve.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sticky picks, the split's proportions against the binomial, what moves when versions come and go, bad weights. */
class TrafficSplitTest {
    static final int KEYS = 10_000;
    /** Allowed deviation of a count from its expectation, in binomial standard deviations. */
    static final double SIGMAS = 5;

    static TrafficSplit split(Object... versionWeight) {
        Map<String, Double> w = new LinkedHashMap<>();
        for (int i = 0; i < versionWeight.length; i += 2) {
            w.put((String) versionWeight[i], ((Number) versionWeight[i + 1]).doubleValue());
        }
        return new TrafficSplit(w);
    }

    static void assertBinomial(int count, int n, double p, String what) {
        double mean = n * p;
        double sd = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(count - mean) <= SIGMAS * sd + 1e-9,
                what + ": " + count + " of " + n + ", expected " + mean + " +- " + SIGMAS * sd);
    }

    static Map<String, Integer> countSticky(TrafficSplit s) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            counts.merge(s.pick("user-" + i), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void aStickyKeyAlwaysGetsTheSameVersion() {
        TrafficSplit s = split("1", 50, "2", 30, "3", 20);
        TrafficSplit same = split("1", 50, "2", 30, "3", 20);
        for (int i = 0; i < 2000; i++) {
            String key = "user-" + i;
            String first = s.pick(key);
            for (int j = 0; j < 3; j++) {
                assertEquals(first, s.pick(key), key);
            }
            assertEquals(first, same.pick(key), key + " on an equal split");
        }
    }

    @Test
    void stickyKeysSplitInProportionToTheWeights() {
        Map<String, Integer> counts = countSticky(split("a", 70, "b", 20, "c", 10));
        assertBinomial(counts.getOrDefault("a", 0), KEYS, 0.7, "a");
        assertBinomial(counts.getOrDefault("b", 0), KEYS, 0.2, "b");
        assertBinomial(counts.getOrDefault("c", 0), KEYS, 0.1, "c");
        // Keys that differ in one character only (numbered users) must not bunch: 1% still gets its 1%.
        Map<String, Integer> small = countSticky(split("big", 99, "canary", 1));
        assertBinomial(small.getOrDefault("canary", 0), KEYS, 0.01, "canary");
    }

    @Test
    void requestsWithoutAKeySplitInProportionToTheWeights() {
        TrafficSplit s = split("1", 3, "2", 1);
        int ones = 0;
        for (int i = 0; i < KEYS; i++) {
            ones += s.pick(null).equals("1") ? 1 : 0;
        }
        assertBinomial(ones, KEYS, 0.75, "version 1 of 3:1");
    }

    @Test
    void aVersionWithWeightZeroGetsNothing() {
        TrafficSplit s = split("1", 0, "2", 5, "3", 0);
        for (int i = 0; i < 1000; i++) {
            assertEquals("2", s.pick("user-" + i));
            assertEquals("2", s.pick(null));
        }
        assertEquals(Map.of("1", 0.0, "2", 1.0, "3", 0.0), s.shares());
    }

    /**
     * Taking a version out of a split moves only the keys that were on it: the others keep their
     * version. (Laying the versions out on one line, as this class once did, moved users of the
     * versions that stayed: {1: 10, 2: 80, 3: 10} without 3 sent a slice of 2's users to 1.)
     */
    @Test
    void removingAVersionMovesOnlyItsOwnKeys() {
        TrafficSplit before = split("1", 10, "2", 80, "3", 10);
        TrafficSplit after = before.without("3");
        assertEquals(Map.of("1", 10.0, "2", 80.0), after.weights());
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            String key = "user-" + i;
            String was = before.pick(key);
            String now = after.pick(key);
            if (!was.equals("3")) {
                assertEquals(was, now, key + " was on a version that stayed");
            } else {
                moved++;
            }
        }
        assertBinomial(moved, KEYS, 0.1, "keys of the removed version");
        Map<String, Integer> counts = countSticky(after);
        assertBinomial(counts.get("1"), KEYS, 10.0 / 90, "version 1 renormalised to 1/9");
    }

    @Test
    void addingACanaryMovesKeysOnlyToTheCanary() {
        TrafficSplit before = split("1", 100);
        TrafficSplit after = split("1", 90, "2", 10);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            String now = after.pick("user-" + i);
            assertEquals("1", before.pick("user-" + i));
            moved += now.equals("2") ? 1 : 0;
        }
        assertBinomial(moved, KEYS, 0.1, "keys on the canary");
    }

    @Test
    void withoutTheLastLiveVersionNothingIsLeft() {
        assertNull(split("1", 5).without("1"));
        assertNull(split("1", 5, "2", 0).without("1"), "only a version with weight 0 left: no split");
    }

    @Test
    void badWeightsAreRefusedNamingTheVersion() {
        String[][] cases = {
            {"-1", "traffic.2: expected a finite weight >= 0, got -1.0"},
            {"NaN", "traffic.2: expected a finite weight >= 0, got NaN"},
            {"Infinity", "traffic.2: expected a finite weight >= 0, got Infinity"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> split("1", 1, "2", Double.parseDouble(c[0])));
            assertEquals(c[1], e.getMessage());
        }
        Map<String, Double> missing = new LinkedHashMap<>();
        missing.put("7", null);
        assertEquals("traffic.7: expected a finite weight >= 0, got null",
                assertThrows(IllegalArgumentException.class, () -> new TrafficSplit(missing)).getMessage());
        assertEquals("traffic: expected at least one version, got none",
                assertThrows(IllegalArgumentException.class, () -> new TrafficSplit(Map.of())).getMessage());
        assertEquals("traffic: expected at least one version, got none",
                assertThrows(IllegalArgumentException.class, () -> new TrafficSplit(null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> split("1", 0, "2", 0)).getMessage()
                .startsWith("traffic: expected weights with a finite sum > 0"));
    }

    @Test
    void theUnitHashStaysInsideTheOpenInterval() {
        for (int i = 0; i < KEYS; i++) {
            double u = TrafficSplit.unitHash("k" + i);
            assertTrue(u > 0 && u < 1, "unitHash(k" + i + ") = " + u);
        }
    }
}
