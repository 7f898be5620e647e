package dev.kiln.data.tokenize;

/**
 * Ids of recently encoded words, looked up by the characters of a text range so that a hit costs
 * one hash over the word and one comparison, with no substring built. Open addressing, at most
 * half full; it doubles up to {@code maxWords}, then starts over empty (a crude bound on memory
 * that costs nothing per hit). Not thread-safe: each encoding thread has its own.
 */
final class WordCache {
    private final int maxWords;
    private String[] keys;
    private int[][] values;
    private int[] hashes;
    private int size;

    WordCache(int maxWords) {
        this.maxWords = maxWords;
        allocate(1024);
    }

    private void allocate(int capacity) {
        keys = new String[capacity];
        values = new int[capacity][];
        hashes = new int[capacity];
        size = 0;
    }

    static int hash(CharSequence text, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + text.charAt(i);
        }
        return h ^ (h >>> 15) ^ (h >>> 7); // spread before masking: words differ mostly in their last chars
    }

    /** The ids cached for {@code text[from, to)} with hash {@code h}, or null. */
    int[] get(String text, int from, int to, int h) {
        int len = to - from;
        int mask = keys.length - 1;
        for (int slot = h & mask; ; slot = (slot + 1) & mask) {
            String k = keys[slot];
            if (k == null) {
                return null;
            }
            if (hashes[slot] == h && k.length() == len && k.regionMatches(0, text, from, len)) {
                return values[slot];
            }
        }
    }

    void put(String text, int from, int to, int h, int[] ids) {
        if (2 * (size + 1) > keys.length) {
            if (keys.length / 2 >= maxWords) {
                allocate(keys.length); // full: start over
            } else {
                grow();
            }
        }
        insert(text.substring(from, to), h, ids);
    }

    private void insert(String key, int h, int[] ids) {
        int mask = keys.length - 1;
        int slot = h & mask;
        while (keys[slot] != null) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        values[slot] = ids;
        hashes[slot] = h;
        size++;
    }

    private void grow() {
        String[] oldKeys = keys;
        int[][] oldValues = values;
        int[] oldHashes = hashes;
        allocate(oldKeys.length * 2);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != null) {
                insert(oldKeys[i], oldHashes[i], oldValues[i]);
            }
        }
    }

    int size() {
        return size;
    }
}
