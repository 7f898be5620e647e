package dev.kiln.data.dedup;

/**
 * A fast, seedless 64-bit string hash for shingles and n-grams: FNV-1a over the UTF-16 chars,
 * followed by MurmurHash3's 64-bit finaliser so that every input bit reaches every output bit
 * (FNV alone leaves the high bits weak for short strings). Not cryptographic; {@link ContentHash}
 * is for exact deduplication.
 */
public final class Hash64 {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hash64() {}

    /** The hash of all of {@code s}. */
    public static long of(CharSequence s) {
        return of(s, 0, s.length());
    }

    /** The hash of {@code s[from, to)}. */
    public static long of(CharSequence s, int from, int to) {
        long h = FNV_OFFSET;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            h = (h ^ (c & 0xFF)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** MurmurHash3's fmix64: a bijection on longs with full avalanche. */
    public static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** An order-dependent combination of a running hash and the next element's hash. */
    public static long combine(long running, long next) {
        return mix(running * 0x9E3779B97F4A7C15L + next);
    }
}
