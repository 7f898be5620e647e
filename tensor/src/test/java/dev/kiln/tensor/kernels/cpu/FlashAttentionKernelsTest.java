package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The attention kernel's own exp (the kernel as a whole is tested through dev.kiln.tensor.AttentionTest). */
class FlashAttentionKernelsTest {
    private static final int LANES = FloatSpecies.PREFERRED.length();

    @Test
    void expIsWithinTwoUlpOfMathExpAndFlushesBelowTheNormalRange() {
        float[] x = new float[LANES];
        float[] y = new float[LANES];
        double worstUlps = 0;
        float worstX = 0;
        for (int i = -880_000; i <= 880_000; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                x[l] = (i + l) * 1e-4f;
            }
            FlashAttentionKernels.exp(FloatVector.fromArray(FloatSpecies.PREFERRED, x, 0)).intoArray(y, 0);
            for (int l = 0; l < LANES; l++) {
                float ref = (float) Math.exp(x[l]);
                if (x[l] < -87.33654f) {
                    assertEquals(0f, y[l], "exp(" + x[l] + ") is flushed to 0");
                } else if (ref >= Float.MIN_NORMAL && x[l] <= 88f) { // above 88 the kernel clamps (its inputs are <= 0)
                    double ulps = Math.abs(y[l] - ref) / Math.ulp(ref);
                    if (ulps > worstUlps) {
                        worstUlps = ulps;
                        worstX = x[l];
                    }
                }
            }
        }
        float at = worstX;
        double ulps = worstUlps;
        assertTrue(worstUlps <= 2, () -> "worst error " + ulps + " ulp at x = " + at);
        float[] special = new float[LANES];
        special[0] = Float.NEGATIVE_INFINITY;
        special[1 % LANES] = 0f;
        FlashAttentionKernels.exp(FloatVector.fromArray(FloatSpecies.PREFERRED, special, 0)).intoArray(y, 0);
        assertEquals(0f, y[0], "exp(-inf)");
        assertEquals(1f, y[1 % LANES], "exp(0)");
        special[0] = Float.NaN;
        FlashAttentionKernels.exp(FloatVector.fromArray(FloatSpecies.PREFERRED, special, 0)).intoArray(y, 0);
        assertTrue(Float.isNaN(y[0]), "exp(NaN)");
    }
}
