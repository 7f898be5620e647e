package dev.kiln.data.clean;

import dev.kiln.data.dedup.Hash64;

/**
 * A set of longs with open addressing and linear probing, for the n-gram filters: a {@code
 * HashSet<Long>} would box every n-gram hash of every document. Not thread-safe.
 */
final class LongHashSet {
    private long[] slots;
    private boolean[] used;
    private int size;
    private int mask;

    LongHashSet(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1; // load factor <= 1/2
        slots = new long[cap];
        used = new boolean[cap];
        mask = cap - 1;
    }

    /** Adds {@code v}; false when it was already present. */
    boolean add(long v) {
        int i = (int) Hash64.mix(v) & mask;
        while (used[i]) {
            if (slots[i] == v) {
                return false;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        slots[i] = v;
        if (++size * 2 > slots.length) {
            grow();
        }
        return true;
    }

    boolean contains(long v) {
        int i = (int) Hash64.mix(v) & mask;
        while (used[i]) {
            if (slots[i] == v) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldSlots = slots;
        boolean[] oldUsed = used;
        slots = new long[oldSlots.length * 2];
        used = new boolean[oldSlots.length * 2];
        mask = slots.length - 1;
        size = 0;
        for (int i = 0; i < oldSlots.length; i++) {
            if (oldUsed[i]) {
                add(oldSlots[i]);
            }
        }
    }
}
