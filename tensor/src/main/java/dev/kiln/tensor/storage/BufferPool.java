package dev.kiln.tensor.storage;

import dev.kiln.tensor.DType;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Recycles CPU buffers by exact (dtype, length).
 *
 * <p>Exact-length buckets, not power-of-two classes: a training step allocates the same sizes
 * every step, so exact matches hit almost always and waste nothing. The pool holds at most
 * {@code kiln.pool.maxBytes} bytes (default 1 GiB); beyond that released buffers are left to the
 * garbage collector. Buffers handed out are NOT zeroed: every kernel writes all of its output.
 *
 * <p>Thread-safe (one lock; taking and returning a buffer are a few map operations).
 */
public final class BufferPool {
    private static final long MAX_BYTES = Long.getLong("kiln.pool.maxBytes", 1L << 30);

    private record Key(DType dtype, int length) {}

    private static final Map<Key, ArrayDeque<Object>> FREE = new HashMap<>();
    private static long pooledBytes;
    private static long hits;
    private static long misses;

    private BufferPool() {}

    /** An array for {@code length} elements of {@code dtype}: recycled if one is free, else new. */
    public static Object take(DType dtype, int length) {
        if (length > 0) {
            synchronized (FREE) {
                ArrayDeque<Object> q = FREE.get(new Key(dtype, length));
                if (q != null && !q.isEmpty()) {
                    pooledBytes -= (long) length * dtype.byteSize();
                    hits++;
                    return q.pop();
                }
                misses++;
            }
        }
        return newArray(dtype, length);
    }

    /** Gives a buffer back. The caller must not touch it afterwards. */
    public static void give(DType dtype, Object array, int length) {
        long bytes = (long) length * dtype.byteSize();
        if (length == 0) {
            return;
        }
        synchronized (FREE) {
            if (pooledBytes + bytes > MAX_BYTES) {
                return;
            }
            FREE.computeIfAbsent(new Key(dtype, length), k -> new ArrayDeque<>()).push(array);
            pooledBytes += bytes;
        }
    }

    /** Bytes currently held for reuse. */
    public static long pooledBytes() {
        synchronized (FREE) {
            return pooledBytes;
        }
    }

    /** Allocations served from the pool since start. */
    public static long hits() {
        synchronized (FREE) {
            return hits;
        }
    }

    /** Allocations that needed a new array since start. */
    public static long misses() {
        synchronized (FREE) {
            return misses;
        }
    }

    /** Drops every pooled buffer (tests, or to hand memory back to the GC). */
    public static void clear() {
        synchronized (FREE) {
            FREE.clear();
            pooledBytes = 0;
        }
    }

    static Object newArray(DType dtype, int length) {
        return switch (dtype) {
            case F64 -> new double[length];
            case F32 -> new float[length];
            case F16, BF16 -> new short[length];
            case I64 -> new long[length];
            case I32 -> new int[length];
            case I8, BOOL -> new byte[length];
        };
    }
}
