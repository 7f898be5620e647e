package dev.kiln.tensor.io;

import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Streams a tensor's bytes (row-major, little-endian values of its dtype: the safetensors layout)
 * through a fixed host staging buffer, chunk by chunk, on any device: file writers and checksums
 * use it so that neither a whole-tensor host copy nor a device's memory is ever touched directly.
 */
public final class TensorBytes {
    /** Receives {@code length} bytes at the start of the staging segment; they are overwritten by the next chunk. */
    @FunctionalInterface
    public interface Sink {
        void accept(MemorySegment staging, long length) throws IOException;
    }

    private TensorBytes() {}

    /**
     * Writes {@code t}'s bytes into {@code staging} in chunks of at most its size (rounded down to
     * whole elements) and hands each chunk to {@code sink}, in order.
     */
    public static void stream(Tensor t, MemorySegment staging, Sink sink) throws IOException {
        int size = t.dtype().byteSize();
        long perChunk = staging.byteSize() / size;
        if (perChunk < 1) {
            throw new IllegalArgumentException("TensorBytes.stream: the staging buffer has " + staging.byteSize()
                    + " bytes, fewer than one " + t.dtype() + " element (" + size + ")");
        }
        int n = t.numel();
        if (n == 0) {
            return;
        }
        try (Tensor c = t.contiguous(); Tensor flat = c.reshape(n)) {
            for (int start = 0; start < n; ) {
                int count = (int) Math.min(perChunk, n - start);
                long bytes = (long) count * size;
                try (Tensor part = flat.narrow(0, start, count)) {
                    part.writeBytes(staging.asSlice(0, bytes));
                }
                sink.accept(staging, bytes);
                start += count;
            }
        }
    }
}
