package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.BatchInvariance;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.DoubleGemm;
import dev.kiln.tensor.kernels.cpu.PackedGemm;
import dev.kiln.tensor.storage.CpuStorage;

/**
 * Batched matrix products: F32 through {@link PackedGemm} (the halves widened to F32 and rounded
 * once), F64 through {@link DoubleGemm} straight from the views, integers exactly in long.
 */
final class CpuMatmul {
    private CpuMatmul() {}

    /** a [B..., m, k] times b [B..., k, n] (batch dims equal after expand) into out [B..., m, n]. */
    static void matmul(Tensor a, Tensor b, Tensor out) {
        switch (ComputePrecision.of(a.dtype())) {
            case DOUBLE -> matmulF64(a, b, out);
            case FLOAT -> matmulF32(a, b, out);
            case HALF -> ComputePrecision.throughF32(out, o32 -> {
                try (Tensor a32 = a.to(DType.F32); Tensor b32 = b.to(DType.F32)) {
                    matmulF32(a32, b32, o32);
                }
            });
            case LONG -> matmulIntegers(a, b, out);
        }
    }

    private static void matmulF32(Tensor a, Tensor b, Tensor out) {
        int rank = out.rank();
        int m = out.size(-2);
        int n = out.size(-1);
        int k = a.size(-1);
        int batches = m * n == 0 ? 0 : out.numel() / (m * n);
        Tensor aa = gemmOperand(a);
        Tensor bb = gemmOperand(b);
        try (aa; bb) {
            int[] as = aa.strides();
            int[] bs = bb.strides();
            boolean transA = as[rank - 1] != 1;
            boolean transB = bs[rank - 1] != 1;
            int lda = transA ? as[rank - 1] : as[rank - 2];
            int ldb = transB ? bs[rank - 1] : bs[rank - 2];
            int[] aStarts = StridedOffsets.batchStarts(aa, 2);
            int[] bStarts = StridedOffsets.batchStarts(bb, 2);
            float[] af = storage(aa).floats();
            float[] bf = storage(bb).floats();
            float[] of = storage(out).floats();
            int oo = out.offset();
            if (batches == 0) {
                return;
            }
            if (k == 0) {
                java.util.Arrays.fill(of, oo, oo + out.numel(), 0f);
                return;
            }
            boolean rowInvariant = BatchInvariance.isOn(); // read on the calling thread: workers have their own
            long flopsPerBatch = 2L * m * n * k;
            if (batches > 1 && flopsPerBatch < (1L << 22)) {
                // Many small products: one thread per group of batches; the GEMM inside runs single-threaded.
                CpuParallel.forRange(batches, Math.max(1, (int) ((1L << 21) / Math.max(1, flopsPerBatch))), (s, e) -> {
                    for (int i = s; i < e; i++) {
                        PackedGemm.sgemm(transA, transB, m, n, k, 1f, af, aStarts[i], Math.max(lda, 1), bf, bStarts[i],
                                Math.max(ldb, 1), 0f, of, oo + i * m * n, Math.max(n, 1), rowInvariant);
                    }
                });
            } else {
                for (int i = 0; i < batches; i++) {
                    PackedGemm.sgemm(transA, transB, m, n, k, 1f, af, aStarts[i], Math.max(lda, 1), bf, bStarts[i],
                            Math.max(ldb, 1), 0f, of, oo + i * m * n, Math.max(n, 1), rowInvariant);
                }
            }
        }
    }

    /**
     * A view PackedGemm can read: each matrix row-major (inner stride 1) or transposed (row stride 1),
     * with a leading dimension covering the other; otherwise a contiguous copy. Batch strides may be
     * anything (including 0 for broadcast batches).
     */
    private static Tensor gemmOperand(Tensor t) {
        int rank = t.rank();
        int[] s = t.strides();
        int rows = t.size(-2);
        int cols = t.size(-1);
        boolean rowMajor = (s[rank - 1] == 1 || cols == 1) && s[rank - 2] >= Math.max(cols, 1);
        boolean colMajor = (s[rank - 2] == 1 || rows == 1) && s[rank - 1] >= Math.max(rows, 1);
        if (rowMajor && s[rank - 1] == 1) {
            return t.reshape(t.shape().toArray());
        }
        if (colMajor && s[rank - 2] == 1 && s[rank - 1] != 1) {
            return t.reshape(t.shape().toArray());
        }
        return t.copy();
    }

    /**
     * F64 matmul straight from the (possibly transposed, sliced or batch-broadcast) views: every
     * output row of every batch is an independent task for {@link DoubleGemm#row}.
     */
    private static void matmulF64(Tensor a, Tensor b, Tensor out) {
        int rank = out.rank();
        int m = out.size(-2);
        int n = out.size(-1);
        int k = a.size(-1);
        int batches = m * n == 0 ? 0 : out.numel() / (m * n);
        if (batches == 0) {
            return;
        }
        int[] as = a.strides();
        int[] bs = b.strides();
        int aRow = as[rank - 2];
        int aCol = as[rank - 1];
        int bRow = bs[rank - 2];
        int bCol = bs[rank - 1];
        int[] aStarts = StridedOffsets.batchStarts(a, 2);
        int[] bStarts = StridedOffsets.batchStarts(b, 2);
        double[] ad = k == 0 ? null : storage(a).doubles();
        double[] bd = k == 0 ? null : storage(b).doubles();
        double[] od = storage(out).doubles();
        int oo = out.offset();
        if (k == 0) {
            java.util.Arrays.fill(od, oo, oo + out.numel(), 0.0);
            return;
        }
        int grain = (int) Math.max(1, (1L << 16) / Math.max(1L, 2L * n * k)); // ~64K flops per task
        CpuParallel.forRange(batches * m, grain, (s, e) -> {
            for (int r = s; r < e; r++) {
                int bi = r / m;
                int i = r % m;
                DoubleGemm.row(ad, aStarts[bi] + i * aRow, aCol, bd, bStarts[bi], bRow, bCol, k, n, od, oo + r * n);
            }
        });
    }

    private static void matmulIntegers(Tensor a, Tensor b, Tensor out) {
        int m = out.size(-2);
        int n = out.size(-1);
        int k = a.size(-1);
        try (Tensor x = a.to(DType.I64).contiguous(); Tensor y = b.to(DType.I64).contiguous()) {
            long[] xs = storage(x).longs();
            long[] ys = storage(y).longs();
            CpuStorage d = storage(out);
            int batches = m * n == 0 ? 0 : out.numel() / (m * n);
            for (int bi = 0; bi < batches; bi++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        long acc = 0;
                        for (int p = 0; p < k; p++) {
                            acc += xs[x.offset() + bi * m * k + i * k + p] * ys[y.offset() + bi * k * n + p * n + j];
                        }
                        d.setLong(out.offset() + bi * m * n + i * n + j, acc);
                    }
                }
            }
        }
    }
}
