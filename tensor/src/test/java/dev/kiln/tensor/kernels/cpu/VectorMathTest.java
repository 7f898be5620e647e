package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** VectorMath's exp, tanh and lane sums against java.lang.Math in double, and cold-versus-warm bit equality. */
class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;

    private static float[] apply(UnaryOperator<FloatVector> f, float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) {
            f.apply(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        }
        return out;
    }

    private static float[] grid(float lo, float hi, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * i / (n - 1);
        }
        return x;
    }

    /** Worst error in ulps of the correctly rounded float result (exact double reference). */
    private static double worstUlps(float[] x, float[] got, DoubleUnaryOperator ref) {
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double want = ref.applyAsDouble(x[i]);
            float rounded = (float) want;
            double err = Math.abs(got[i] - want) / Math.ulp(rounded == 0 ? Float.MIN_NORMAL : rounded);
            assertTrue(!Double.isNaN(err), "NaN at " + x[i]);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    @Test
    void expIsWithinTwoUlpsFromUnderflowToOverflow() {
        float[] x = grid(-87f, 88.7f, 1 << 18); // normal results
        assertTrue(worstUlps(x, apply(VectorMath::exp, x), Math::exp) <= 2, "exp");
        float[] near = grid(-1f, 1f, 1 << 16);
        assertTrue(worstUlps(near, apply(VectorMath::exp, near), Math::exp) <= 2, "exp near 0");
        float[] sub = grid(-103f, -87.5f, 1 << 12); // subnormal results: absolute, a few subnormal steps
        float[] got = apply(VectorMath::exp, sub);
        for (int i = 0; i < sub.length; i++) {
            assertEquals(Math.exp(sub[i]), got[i], 2 * Float.MIN_VALUE, "exp(" + sub[i] + ")");
        }
    }

    @Test
    void tanhIsWithinTwoUlpsIncludingTinyArguments() {
        float[] x = grid(-12f, 12f, 1 << 18);
        assertTrue(worstUlps(x, apply(VectorMath::tanh, x), Math::tanh) <= 2, "tanh");
        float[] tiny = new float[1 << 12];
        for (int i = 0; i < tiny.length; i++) {
            tiny[i] = (float) Math.pow(10, -30 + 29.0 * i / tiny.length) * (i % 2 == 0 ? 1 : -1);
        }
        assertTrue(worstUlps(tiny, apply(VectorMath::tanh, tiny), Math::tanh) <= 1, "tanh near 0 keeps relative accuracy");
    }

    @Test
    void specialValues() {
        float[] x = new float[S.length() * 2];
        float[] sp = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 89f, -104f, 1f};
        System.arraycopy(sp, 0, x, 0, Math.min(sp.length, x.length));
        float[] e = apply(VectorMath::exp, x);
        float[] t = apply(VectorMath::tanh, x);
        assertTrue(Float.isNaN(e[0]) && Float.isNaN(t[0]));
        assertEquals(Float.POSITIVE_INFINITY, e[1]);
        assertEquals(0f, e[2]);
        assertEquals(1f, t[1]);
        assertEquals(-1f, t[2]);
        assertEquals(1f, e[3]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(t[4]), "tanh(-0) = -0");
        assertEquals(Float.POSITIVE_INFINITY, e[5]);
        assertEquals(0f, e[6]);
    }

    @Test
    void coldAndWarmCallsGiveTheSameBits() {
        float[] x = grid(-20f, 20f, 4096);
        float[] coldExp = apply(VectorMath::exp, x);
        float[] coldTanh = apply(VectorMath::tanh, x);
        float coldSum = VectorMath.sum(FloatVector.fromArray(S, x, S.length()));
        for (int rep = 0; rep < 3000; rep++) { // enough for C2 to compile the loop and the helpers
            apply(VectorMath::exp, x);
            apply(VectorMath::tanh, x);
            VectorMath.sum(FloatVector.fromArray(S, x, S.length()));
        }
        assertArrayEquals(coldExp, apply(VectorMath::exp, x));
        assertArrayEquals(coldTanh, apply(VectorMath::tanh, x));
        assertEquals(Float.floatToIntBits(coldSum), Float.floatToIntBits(VectorMath.sum(FloatVector.fromArray(S, x, S.length()))));
    }
}
