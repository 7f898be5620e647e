package dev.kiln.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.UnaryOp;
import dev.kiln.tensor.storage.CpuStorage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The backward-only kernels (ReLU's backward, the exact GELU's derivative) through their own
 * backend methods, against plain loops; and the dtype switch the CPU op families share.
 */
class BackwardKernelsTest {
    /** 37 elements: a vector body and a tail at every width; signs, zeros and NaN in the input. */
    private static final int N = 37;

    private static double input(int i) {
        return switch (i % 7) {
            case 0 -> 0.0;
            case 1 -> -0.0;
            case 2 -> Double.NaN;
            default -> (i % 2 == 0 ? 1 : -1) * 0.25 * (i % 5 + 1);
        };
    }

    /** Gradients exact in every dtype (quarters), -0.0 among them. */
    private static double grad(int i) {
        return i % 6 == 0 ? -0.0 : 0.25 * (i % 9) - 1;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F64", "F32", "F16", "BF16"})
    void reluBackwardPassesTheGradientWhereTheInputIsPositiveInEveryLayout(DType t) {
        double[] x = new double[N];
        double[] g = new double[N];
        for (int i = 0; i < N; i++) {
            x[i] = input(i);
            g[i] = grad(i);
        }
        try (Tensor xs = Tensor.fromArray(x, t, N); Tensor gs = Tensor.fromArray(g, t, N);
             Tensor out = gs.reluBackward(xs); Tensor wide = out.to(DType.F64)) {
            assertEquals(t, out.dtype());
            double[] got = wide.toDoubleArray();
            for (int i = 0; i < N; i++) {
                double want = x[i] > 0 ? g[i] : 0.0; // NaN > 0 is false: a NaN input blocks the gradient
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got[i]),
                        t + " [" + i + "] x=" + x[i] + " g=" + g[i] + ": got " + got[i] + ", want " + want);
            }
        }
        // A broadcast gradient (stride 0) against a transposed input (inner stride not 1).
        try (Tensor x2 = Tensor.fromArray(Arrays.copyOf(x, 36), t, 6, 6); Tensor xt = x2.t();
             Tensor g1 = Tensor.scalar(-1.5, t); Tensor out = g1.reluBackward(xt); Tensor wide = out.to(DType.F64)) {
            double[] got = wide.toDoubleArray();
            for (int r = 0; r < 6; r++) {
                for (int c = 0; c < 6; c++) {
                    double xv = x[c * 6 + r];
                    assertEquals(xv > 0 ? -1.5 : 0.0, got[r * 6 + c], t + " transposed [" + r + "," + c + "]");
                }
            }
        }
    }

    @Test
    void reluBackwardOnIntegersIsExactAndRejectsTwoBools() {
        long[] x = {-3, 0, 5, Long.MAX_VALUE, -1, 2};
        long[] g = {7, 8, Long.MIN_VALUE, 9, 10, -11};
        try (Tensor xs = Tensor.fromArray(x, 6); Tensor gs = Tensor.fromArray(g, 6); Tensor out = gs.reluBackward(xs)) {
            assertEquals(DType.I64, out.dtype());
            long[] got = out.toLongArray();
            for (int i = 0; i < 6; i++) {
                assertEquals(x[i] > 0 ? g[i] : 0, got[i], "[" + i + "]");
            }
        }
        try (Tensor b = Tensor.fromArray(new boolean[] {true, false}, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.reluBackward(b));
            assertTrue(e.getMessage().contains("reluBackward"), e.getMessage());
        }
    }

    /** Φ(x) + x·φ(x) with Φ from Simpson's rule over φ: independent of any erf implementation. */
    private static double geluDerivativeReference(double x) {
        int steps = 20_000;
        double h = x / steps;
        double sum = phi(0) + phi(x);
        for (int k = 1; k < steps; k++) {
            sum += (k % 2 == 1 ? 4 : 2) * phi(k * h);
        }
        double cdf = 0.5 + sum * h / 3;
        return cdf + x * phi(x);
    }

    private static double phi(double t) {
        return Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F64", "F32", "I64"})
    void geluDerivativeMatchesIntegratedNormalDensity(DType t) {
        double[] x = new double[N];
        for (int i = 0; i < N; i++) {
            x[i] = t == DType.I64 ? i - 18 : -6 + 12.0 * i / (N - 1);
        }
        try (Tensor x64 = Tensor.fromArray(x, DType.F64, N); Tensor xs = x64.to(t); Tensor d = xs.geluDerivative();
             Tensor wide = d.to(DType.F64)) {
            assertEquals(t == DType.F64 ? DType.F64 : DType.F32, d.dtype(), "integers give F32, floats keep their dtype");
            double[] got = wide.toDoubleArray();
            double tol = t == DType.F64 ? 1e-12 : 2e-6;
            for (int i = 0; i < N; i++) {
                double want = geluDerivativeReference(x[i]);
                assertEquals(want, got[i], tol * Math.max(1, Math.abs(want)), t + " gelu'(" + x[i] + ")");
            }
        }
    }

    @Test
    void backwardOnlyKernelsAreNotPublicOps() {
        assertTrue(Arrays.stream(UnaryOp.values()).noneMatch(op -> op.name().contains("DERIVATIVE")),
                Arrays.toString(UnaryOp.values()));
        assertTrue(Arrays.stream(BinaryOp.values()).noneMatch(op -> op.name().contains("BACKWARD")),
                Arrays.toString(BinaryOp.values()));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDTypeComputesInThePrecisionOfItsStorage(DType t) {
        try (Tensor x = Tensor.empty(t, Device.CPU, Shape.of(1))) {
            Object array = ((CpuStorage) x.storage()).array();
            ComputePrecision want = switch (array) {
                case double[] a -> ComputePrecision.DOUBLE;
                case float[] a -> ComputePrecision.FLOAT;
                case short[] a -> ComputePrecision.HALF;
                default -> ComputePrecision.LONG; // long[], int[], byte[]
            };
            assertEquals(want, ComputePrecision.of(t), t + " stored as " + array.getClass().getSimpleName());
        }
    }
}
