package dev.kiln.data.dedup;

import java.util.Arrays;

/**
 * Disjoint sets over 0, 1, 2, ... that grow on demand, with union by size and path halving. Each
 * set also remembers its smallest member, so "the first document of each cluster" is one lookup.
 */
public final class UnionFind {
    private int[] parent = new int[16];
    private int[] size = new int[16];
    private int[] smallest = new int[16];
    private int count;

    /** Adds a new singleton {@code count()}, and returns it. */
    public int add() {
        if (count == parent.length) {
            int cap = 2 * parent.length;
            parent = Arrays.copyOf(parent, cap);
            size = Arrays.copyOf(size, cap);
            smallest = Arrays.copyOf(smallest, cap);
        }
        parent[count] = count;
        size[count] = 1;
        smallest[count] = count;
        return count++;
    }

    /** The number of elements. */
    public int count() {
        return count;
    }

    /** The representative of {@code x}'s set. */
    public int find(int x) {
        java.util.Objects.checkIndex(x, count);
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    /** Merges the sets of {@code a} and {@code b}; returns false when they were already one. */
    public boolean union(int a, int b) {
        int ra = find(a);
        int rb = find(b);
        if (ra == rb) {
            return false;
        }
        if (size[ra] < size[rb]) {
            int t = ra;
            ra = rb;
            rb = t;
        }
        parent[rb] = ra;
        size[ra] += size[rb];
        smallest[ra] = Math.min(smallest[ra], smallest[rb]);
        return true;
    }

    /** The smallest element of {@code x}'s set. */
    public int smallest(int x) {
        return smallest[find(x)];
    }

    /** The size of {@code x}'s set. */
    public int setSize(int x) {
        return size[find(x)];
    }
}
