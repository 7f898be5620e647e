package dev.kiln.data.tokenize;

/**
 * Applies a BPE merge table to one word: while some adjacent pair has a merge, the pair of lowest
 * rank is replaced by its merged token, the leftmost one first when a pair occurs several times.
 * Two equivalent loops: a linear scan over the pair ranks for short words (most words; no
 * allocation beyond one rank array), and a heap of (rank, position) with a linked list of symbols
 * for long ones (runs of digits, spaces or base64), where the scan would be quadratic.
 */
final class MergeLoop {
    /** Words longer than this many symbols take the heap loop (measured crossover is broad; 64 is safe). */
    static final int HEAP_THRESHOLD = 64;

    private MergeLoop() {}

    /** Merges {@code symbols[0, n)} in place and returns the new length. */
    static int merge(int[] symbols, int n, PairRanks ranks) {
        return n > HEAP_THRESHOLD ? mergeWithHeap(symbols, n, ranks) : mergeLinear(symbols, n, ranks);
    }

    /** Scans for the lowest rank each step; the rank of each adjacent pair is looked up once and kept. */
    static int mergeLinear(int[] symbols, int n, PairRanks ranks) {
        if (n < 2) {
            return n;
        }
        int[] pairRank = new int[n - 1]; // pairRank[i]: rank of (symbols[i], symbols[i+1]), or -1
        for (int i = 0; i < n - 1; i++) {
            pairRank[i] = ranks.rank(symbols[i], symbols[i + 1]);
        }
        while (n > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i < n - 1; i++) {
                int r = pairRank[i];
                if (r >= 0 && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            symbols[best] = ranks.result(bestRank);
            // Drop symbol best+1 and pair best+1 (pairs shift left by one after best).
            System.arraycopy(symbols, best + 2, symbols, best + 1, n - best - 2);
            if (best + 1 < n - 1) {
                System.arraycopy(pairRank, best + 2, pairRank, best + 1, n - best - 3);
            }
            n--;
            if (best > 0) {
                pairRank[best - 1] = ranks.rank(symbols[best - 1], symbols[best]);
            }
            if (best < n - 1) {
                pairRank[best] = ranks.rank(symbols[best], symbols[best + 1]);
            }
        }
        return n;
    }

    /**
     * The same result in O(n log n): heap entries are {@code rank << 32 | position} so the smallest
     * long is the lowest rank, leftmost. An entry is stale when its pair has changed since it was
     * pushed; that shows as the pair at its position no longer having the entry's rank (a rank
     * names exactly one pair).
     */
    static int mergeWithHeap(int[] symbols, int n, PairRanks ranks) {
        if (n < 2) {
            return n;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n - 1; i++) {
            int r = ranks.rank(symbols[i], symbols[i + 1]);
            if (r >= 0) {
                heap.push(((long) r << 32) | i);
            }
        }
        boolean[] removed = new boolean[n];
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int r = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (removed[pos] || right < 0 || ranks.rank(symbols[pos], symbols[right]) != r) {
                continue;
            }
            symbols[pos] = ranks.result(r);
            removed[right] = true;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) {
                prev[after] = pos;
                int ra = ranks.rank(symbols[pos], symbols[after]);
                if (ra >= 0) {
                    heap.push(((long) ra << 32) | pos);
                }
            }
            int before = prev[pos];
            if (before >= 0) {
                int rb = ranks.rank(symbols[before], symbols[pos]);
                if (rb >= 0) {
                    heap.push(((long) rb << 32) | before);
                }
            }
        }
        int m = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            symbols[m++] = symbols[i];
        }
        return m;
    }

    /** A binary min-heap of longs. */
    static final class LongHeap {
        private long[] items;
        private int size;

        LongHeap(int capacity) {
            items = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        int size() {
            return size;
        }

        void push(long v) {
            if (size == items.length) {
                items = java.util.Arrays.copyOf(items, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (items[parent] <= v) {
                    break;
                }
                items[i] = items[parent];
                i = parent;
            }
            items[i] = v;
        }

        long peek() {
            return items[0];
        }

        long pop() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && items[child + 1] < items[child]) {
                    child++;
                }
                if (last <= items[child]) {
                    break;
                }
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }
}
