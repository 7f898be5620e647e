package dev.kiln.data.tokenize;

import java.util.Arrays;

/**
 * The merge table of a BPE model: for a pair of adjacent token ids, the rank of the merge that
 * joins them (its position in the merge list; lower merges first) and the id it produces. Keys are
 * the two ids packed into one {@code long} in an open-addressing table, so a lookup costs a
 * multiply and usually one probe, with no boxing and no string building. Immutable after
 * construction, so safe to share between threads.
 */
final class PairRanks {
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int mask;
    private final int shift;
    private final int[] resultByRank;

    /** {@code left[r], right[r] -> result[r]} is the merge of rank r. A repeated pair keeps its first rank. */
    PairRanks(int[] left, int[] right, int[] result) {
        int n = left.length;
        int capacity = Integer.highestOneBit(Math.max(4, n * 2) - 1) << 1; // load factor <= 1/2
        keys = new long[capacity];
        ranks = new int[capacity];
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
        Arrays.fill(keys, EMPTY);
        resultByRank = result.clone();
        for (int r = 0; r < n; r++) {
            long key = pack(left[r], right[r]);
            int slot = slot(key);
            while (keys[slot] != EMPTY && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            if (keys[slot] == EMPTY) {
                keys[slot] = key;
                ranks[slot] = r;
            }
        }
    }

    static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The rank of merging {@code left} then {@code right}, or -1 when no merge joins them. */
    int rank(int left, int right) {
        long key = pack(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                return ranks[slot];
            }
            if (k == EMPTY) {
                return -1;
            }
            slot = (slot + 1) & mask;
        }
    }

    /** The id that the merge of rank {@code rank} produces. */
    int result(int rank) {
        return resultByRank[rank];
    }

    int size() {
        return resultByRank.length;
    }

    private int slot(long key) {
        // Fibonacci hashing: the top bits of the product depend on every bit of both ids.
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }
}
