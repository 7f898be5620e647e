package dev.kiln.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * erf, GELU and GELU's derivative in float (the vectorised polynomial kernels) against the test
 * suite's double-precision erf/erfc, densely over every range the kernels switch between — the
 * small-argument fit, the large-argument fit, the far tail where GELU must keep its relative
 * accuracy, and past the point where erfc underflows — plus the special values.
 */
class VectorErfAccuracyTest {
    private static final int N = 1 << 16; // a multiple of every vector length: all in the vector loop

    private static float[] grid(float lo, float hi) {
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = lo + (hi - lo) * i / (N - 1);
        }
        return x;
    }

    /** Largest error in units of max(|ref|·relTol, absTol). */
    private static double worst(float[] x, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, double relTol, double absTol) {
        float[] got;
        try (Tensor t = Tensor.fromArray(x, x.length); Tensor out = op.apply(t)) {
            got = out.toFloatArray();
        }
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double want = ref.applyAsDouble(x[i]);
            double err = Math.abs(got[i] - want) / Math.max(Math.abs(want) * relTol, absTol);
            assertTrue(!Double.isNaN(err), "NaN at x = " + x[i] + ": got " + got[i] + ", want " + want);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    private static double gelu(double x) {
        return 0.5 * x * OpSpecs.erfc(-x / Math.sqrt(2));
    }

    private static double geluDerivative(double x) {
        return 0.5 * OpSpecs.erfc(-x / Math.sqrt(2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    @Test
    void erfIsAccurateToAFewUlps() {
        for (float[] r : new float[][] {{-1.2f, 1.2f}, {-6f, 6f}, {-20f, 20f}, {1e-6f, 1e-3f}}) {
            double w = worst(grid(r[0], r[1]), Tensor::erf, OpSpecs::erf, 5e-7, 1e-30);
            assertTrue(w <= 1, "erf on [" + r[0] + ", " + r[1] + "]: " + w + " x tolerance");
        }
    }

    @Test
    void geluKeepsRelativeAccuracyIntoTheNegativeTail() {
        // x·Φ(x) down to about -13, where it nears the smallest normal float: relative 1e-6
        for (float[] r : new float[][] {{-3f, 3f}, {-13f, -3f}, {3f, 40f}}) {
            double w = worst(grid(r[0], r[1]), Tensor::gelu, VectorErfAccuracyTest::gelu, 1e-6, 1e-37);
            assertTrue(w <= 1, "gelu on [" + r[0] + ", " + r[1] + "]: " + w + " x tolerance");
        }
        // below the smallest normal float the result is subnormal, and so is exp(-x²/2) on the way
        // (erfc is cut to 0 past 10, where gelu is about -1.5e-44): within 16 subnormal steps
        double w = worst(grid(-20f, -13f), Tensor::gelu, VectorErfAccuracyTest::gelu, 1e-3, 16 * Float.MIN_VALUE);
        assertTrue(w <= 1, "gelu in the subnormal tail: " + w + " x tolerance");
        double d = worst(grid(-14f, 14f), Tensor::geluDerivative, VectorErfAccuracyTest::geluDerivative, 1e-6, 1e-7);
        assertTrue(d <= 1, "gelu derivative: " + d + " x tolerance");
    }

    @Test
    void specialValuesFollowTheScalarDefinitions() {
        int l = 64;
        float[] x = new float[l];
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, -1f, 10f, -10f, 10.5f, -10.5f};
        System.arraycopy(specials, 0, x, 0, specials.length);
        try (Tensor t = Tensor.fromArray(x, l); Tensor e = t.erf(); Tensor g = t.gelu(); Tensor d = t.geluDerivative()) {
            float[] erf = e.toFloatArray(), gelu = g.toFloatArray(), der = d.toFloatArray();
            assertTrue(Float.isNaN(erf[0]) && Float.isNaN(gelu[0]) && Float.isNaN(der[0]), "NaN stays NaN");
            assertEquals(1f, erf[1]);
            assertEquals(-1f, erf[2]);
            assertEquals(Float.POSITIVE_INFINITY, gelu[1]);
            assertTrue(Float.isNaN(gelu[2]), "gelu(-inf) = -inf * 0 = NaN, as torch; got " + gelu[2]);
            assertEquals(0f, erf[3]);
            assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(erf[4]), "erf(-0) = -0");
            assertEquals(0f, gelu[3]);
            assertEquals(0.5f, der[3]);
            assertEquals((float) OpSpecs.erf(1), erf[5], Math.ulp(0.8427f));
            assertEquals(1f, erf[7]);
            assertEquals(10f, gelu[7]);
            assertEquals(gelu(-10), gelu[8], 1e-6 * Math.abs(gelu(-10))); // -7.6e-23: the tail is kept
            assertEquals(gelu(-10.5), gelu[10], 1e-6 * Math.abs(gelu(-10.5)));
        }
    }
}
