package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UnionFindTest {
    @Test
    void setsMergeAndRememberTheirSmallestMember() {
        UnionFind uf = new UnionFind();
        for (int i = 0; i < 10; i++) {
            assertEquals(i, uf.add());
        }
        assertTrue(uf.union(7, 9));
        assertTrue(uf.union(9, 3));
        assertFalse(uf.union(3, 7));
        assertEquals(3, uf.smallest(9));
        assertEquals(3, uf.setSize(7));
        assertEquals(5, uf.smallest(5));
        assertEquals(uf.find(7), uf.find(3));
    }

    @Test
    void agreesWithANaiveLabelingOnRandomUnions() {
        SplittableRandom rng = new SplittableRandom(5);
        int n = 500;
        UnionFind uf = new UnionFind();
        int[] label = new int[n];
        for (int i = 0; i < n; i++) {
            uf.add();
            label[i] = i;
        }
        for (int k = 0; k < 300; k++) {
            int a = rng.nextInt(n);
            int b = rng.nextInt(n);
            uf.union(a, b);
            int from = label[b];
            int to = label[a];
            int min = Math.min(from, to);
            for (int i = 0; i < n; i++) {
                if (label[i] == from || label[i] == to) {
                    label[i] = min; // labels stay the smallest member, since each starts as itself
                }
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(label[i], uf.smallest(i), "element " + i);
        }
    }
}
