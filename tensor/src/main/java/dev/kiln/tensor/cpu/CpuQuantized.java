package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.Int8Gemm;
import dev.kiln.tensor.kernels.cpu.Int8Quantize;

/** The int8 inference ops on CPU storage; the front end ({@code Quantization}) has checked dtypes, shapes and contiguity. */
final class CpuQuantized {
    private CpuQuantized() {}

    static void quantizeRows(Tensor x, Tensor q, Tensor scales) {
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Int8Quantize.quantizeRows(rows, cols, storage(x).floats(), x.offset(), storage(q).bytes(), q.offset(),
                storage(scales).floats(), scales.offset());
    }

    static void quantizeRowsWithScale(Tensor x, float scale, Tensor q, Tensor scales) {
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Int8Quantize.quantizeRowsWithScale(rows, cols, storage(x).floats(), x.offset(), scale, storage(q).bytes(),
                q.offset(), storage(scales).floats(), scales.offset());
    }

    static void int8Gemm(Tensor a, Tensor aScale, Tensor b, boolean bIsNK, Tensor bScale, Tensor bias, Tensor out) {
        int m = a.size(0);
        int k = a.size(1);
        int n = out.size(1);
        // Scales and bias are small: copy them to offset-0 arrays when they are views into a larger buffer.
        float[] bs = offsetFree(bScale);
        float[] bb = bias == null ? null : offsetFree(bias);
        Int8Gemm.gemm(m, n, k, storage(a).bytes(), a.offset(), k, storage(aScale).floats(), aScale.offset(),
                bIsNK, storage(b).bytes(), b.offset(), bIsNK ? k : n, bs, bb, storage(out).floats(), out.offset(), n);
    }

    private static float[] offsetFree(Tensor t) {
        float[] f = storage(t).floats();
        return t.offset() == 0 ? f : java.util.Arrays.copyOfRange(f, t.offset(), t.offset() + t.numel());
    }
}
