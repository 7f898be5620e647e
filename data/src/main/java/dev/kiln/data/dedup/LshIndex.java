package dev.kiln.data.dedup;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An incremental LSH index over MinHash signatures: one hash table per band, mapping the hash of
 * the band's rows to the documents that had them. {@link #candidates} then {@link #add} per
 * document gives every earlier document sharing at least one band. Two different band contents
 * may hash alike (64-bit hash): that only adds a candidate, which verification rejects. Not
 * thread-safe.
 */
public final class LshIndex {
    private final LshParams params;
    private final List<Map<Long, int[]>> tables; // int[0] = count, then document ids
    private int size;

    public LshIndex(LshParams params) {
        this.params = java.util.Objects.requireNonNull(params, "LshIndex: params");
        Map<Long, int[]>[] t = newTables(params.bands());
        this.tables = List.of(t);
    }

    @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array can only be made raw
    private static Map<Long, int[]>[] newTables(int bands) {
        Map<Long, int[]>[] t = new Map[bands];
        for (int i = 0; i < bands; i++) {
            t[i] = new HashMap<>();
        }
        return t;
    }

    public LshParams params() {
        return params;
    }

    /** The number of documents added. */
    public int size() {
        return size;
    }

    private long bandKey(long[] signature, int band) {
        long h = band;
        int start = band * params.rows();
        for (int j = start; j < start + params.rows(); j++) {
            h = Hash64.combine(h, signature[j]);
        }
        return h;
    }

    private void checkWidth(long[] signature) {
        if (signature.length < params.width()) {
            throw new IllegalArgumentException("LshIndex: signature has " + signature.length + " entries, banding "
                    + params.bands() + " x " + params.rows() + " needs " + params.width());
        }
    }

    /** The documents added so far that share at least one band with {@code signature}, ascending, without repeats. */
    public int[] candidates(long[] signature) {
        checkWidth(signature);
        int[] out = new int[8];
        int n = 0;
        for (int band = 0; band < params.bands(); band++) {
            int[] bucket = tables.get(band).get(bandKey(signature, band));
            if (bucket == null) {
                continue;
            }
            int count = bucket[0];
            if (n + count > out.length) {
                out = Arrays.copyOf(out, Math.max(2 * out.length, n + count));
            }
            System.arraycopy(bucket, 1, out, n, count);
            n += count;
        }
        if (n == 0) {
            return new int[0];
        }
        Arrays.sort(out, 0, n);
        int distinct = 1;
        for (int i = 1; i < n; i++) {
            if (out[i] != out[distinct - 1]) {
                out[distinct++] = out[i];
            }
        }
        return Arrays.copyOf(out, distinct);
    }

    /** Adds document {@code doc} under its signature's bands. */
    public void add(int doc, long[] signature) {
        checkWidth(signature);
        for (int band = 0; band < params.bands(); band++) {
            tables.get(band).merge(bandKey(signature, band), new int[] {1, doc}, (old, fresh) -> {
                int count = old[0];
                int[] grown = count + 1 < old.length ? old : Arrays.copyOf(old, 2 * old.length);
                grown[count + 1] = doc;
                grown[0] = count + 1;
                return grown;
            });
        }
        size++;
    }
}
