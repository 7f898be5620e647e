package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import java.util.function.Consumer;

/**
 * The precision the CPU backend computes a dtype in: the one dtype switch every op family uses to
 * pick its path. F64 computes in double end to end (its own kernels, never via F32); F32 has the
 * fast Vector API kernels; F16/BF16 are widened to F32, computed and rounded back once; integers
 * and BOOL compute in {@code long}.
 */
enum ComputePrecision {
    DOUBLE, FLOAT, HALF, LONG;

    static ComputePrecision of(DType t) {
        return switch (t) {
            case F64 -> DOUBLE;
            case F32 -> FLOAT;
            case F16, BF16 -> HALF;
            case I64, I32, I8, BOOL -> LONG;
        };
    }

    /**
     * Runs {@code f32Body} on a fresh F32 tensor of out's shape, then rounds it into out: how an op
     * without a kernel for out's dtype computes in F32 and rounds once, as torch's CPU kernels do
     * for half types.
     */
    static void throughF32(Tensor out, Consumer<Tensor> f32Body) {
        try (Tensor tmp = Tensor.empty(DType.F32, Device.CPU, out.shape())) {
            f32Body.accept(tmp);
            CpuCopy.copy(tmp, out);
        }
    }
}
