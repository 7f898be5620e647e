package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * Fused attention's memory is linear in T: forward + backward at T = 4096 make no allocation
 * anywhere near one T × T float matrix (64 MiB). Measured with JFR's
 * {@code jdk.ObjectAllocationOutsideTLAB} events, which record every array too large for a
 * thread-local allocation buffer, on every thread (the caller and the kernel pool's workers).
 * Counting all bytes instead (ThreadMXBean) also counts the short-lived vector objects that
 * Vector API code allocates whenever it runs below C2, which depends on the JIT's state, not on
 * the algorithm.
 */
class AttentionMemoryTest {
    private static final int T = 4096;
    private static final long SCORE_MATRIX_BYTES = (long) T * T * Float.BYTES;

    @Test
    void forwardAndBackwardAtT4096AllocateNothingLikeAScoreMatrix() throws IOException {
        Generator g = new Generator(5);
        try (Tensor q = Tensor.randn(g, 1, 2, T, 64); Tensor k = Tensor.randn(g, 1, 1, T, 64);
             Tensor v = Tensor.randn(g, 1, 1, T, 64); Tensor dO = Tensor.randn(g, 1, 2, T, 64)) {
            Allocations fused = record(() -> {
                try (Attention.Output out = Attention.forward(q, k, v, true, null, Double.NaN);
                     Attention.Gradients grads = Attention.backward(dO, q, k, v, out.output(), out.logSumExp(), true,
                             null, Double.NaN)) {
                    assertTrue(grads.key().numel() > 0);
                }
            });
            System.out.printf("fused attention, T = %d, forward + backward: large allocations %.1f MiB in total,"
                    + " largest %.1f MiB%n", T, fused.total / (double) (1 << 20), fused.largest / (double) (1 << 20));
            // Outputs are O + dQ (2 MiB each) and dK, dV (1 MiB each); the tiles are a few KiB.
            assertTrue(fused.total < SCORE_MATRIX_BYTES / 4, () -> "fused attention made " + fused.total / (1 << 20)
                    + " MiB of large allocations; one " + T + "x" + T + " score matrix is "
                    + SCORE_MATRIX_BYTES / (1 << 20) + " MiB");

            // The measurement does see a materialised score matrix.
            Allocations naive = record(() -> {
                try (Tensor kt = k.transpose(2, 3); Tensor scores = q.matmul(kt)) {
                    assertTrue(scores.numel() > 0);
                }
            });
            assertTrue(naive.largest >= 2 * SCORE_MATRIX_BYTES, () -> "saw only " + naive.largest + " bytes for Q K^T");
        }
    }

    private record Allocations(long total, long largest) {}

    /**
     * Records the large allocations {@code body} makes. The buffer pool is emptied first: a
     * buffer of the right (dtype, length) freed by an earlier test in the same JVM would
     * otherwise be reused with no allocation at all, hiding a score matrix from the measurement
     * (which made the naive check see 0 bytes once, depending on test order).
     */
    private static Allocations record(Runnable body) throws IOException {
        dev.kiln.tensor.storage.BufferPool.clear();
        Path file = Files.createTempFile("attention-alloc", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ObjectAllocationOutsideTLAB");
            recording.start();
            body.run();
            recording.stop();
            recording.dump(file);
            long total = 0;
            long largest = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                long size = e.getLong("allocationSize");
                total += size;
                largest = Math.max(largest, size);
            }
            return new Allocations(total, largest);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
