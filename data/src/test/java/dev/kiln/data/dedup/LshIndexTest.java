package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LshIndexTest {
    @Test
    void documentsSharingABandAreCandidates() {
        LshIndex index = new LshIndex(new LshParams(3, 2));
        long[] a = {1, 2, 3, 4, 5, 6};
        long[] b = {1, 2, 9, 9, 9, 9}; // shares band 0 with a
        long[] c = {7, 7, 7, 7, 5, 6}; // shares band 2 with a
        long[] d = {2, 1, 4, 3, 6, 5}; // same values, other bands
        assertArrayEquals(new int[0], index.candidates(a));
        index.add(0, a);
        index.add(1, b);
        index.add(2, c);
        index.add(3, d);
        assertArrayEquals(new int[] {0, 1, 2}, index.candidates(a));
        assertArrayEquals(new int[] {0, 1}, index.candidates(new long[] {1, 2, 0, 0, 0, 0}));
        assertArrayEquals(new int[] {3}, index.candidates(d));
        assertEquals(4, index.size());
        // more signature than bands x rows is fine; less is not
        assertArrayEquals(new int[] {0, 2}, index.candidates(new long[] {0, 0, 0, 0, 5, 6, 99}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> index.add(9, new long[] {1}))
                .getMessage().contains("signature has 1 entries, banding 3 x 2 needs 6"));
    }

    @Test
    void bucketsGrowBeyondTheirFirstCapacity() {
        LshIndex index = new LshIndex(new LshParams(1, 1));
        for (int i = 0; i < 100; i++) {
            index.add(i, new long[] {42});
        }
        int[] all = index.candidates(new long[] {42});
        assertEquals(100, all.length);
        assertEquals(99, all[99]);
        assertFalse(index.candidates(new long[] {43}).length > 0);
    }
}
