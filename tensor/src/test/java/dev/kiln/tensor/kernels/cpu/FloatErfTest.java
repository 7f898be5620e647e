package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The float-precision erf/erfc used by the F32 kernels against the double-precision ones. */
class FloatErfTest {

    @Test
    void erfcForFloatHasSmallRelativeErrorEverywhereItIsRepresentable() {
        double worst = 0;
        for (double x = -6; x <= 9; x += 1e-3) {
            double want = Erf.erfc(x);
            if (want < Float.MIN_NORMAL) {
                continue;
            }
            worst = Math.max(worst, Math.abs(Erf.erfcForFloat(x) - want) / want);
        }
        assertTrue(worst < 1.3e-7, "worst relative error " + worst);
    }

    @Test
    void erfForFloatHasSmallRelativeErrorIncludingNearZero() {
        double worst = 0;
        for (double x = -6; x <= 6; x += 1e-3) {
            double want = Erf.erf(x);
            if (want == 0) {
                continue;
            }
            worst = Math.max(worst, Math.abs(Erf.erfForFloat(x) - want) / Math.abs(want));
        }
        for (double x = 1e-30; x < 0.5; x *= 3) {
            worst = Math.max(worst, Math.abs(Erf.erfForFloat(x) - Erf.erf(x)) / Erf.erf(x));
        }
        assertTrue(worst < 1.3e-7, "worst relative error " + worst);
        assertEquals(-0.0, Erf.erfForFloat(-0.0), 0);
        assertTrue(Double.isNaN(Erf.erfForFloat(Double.NaN)) && Double.isNaN(Erf.erfcForFloat(Double.NaN)));
        assertEquals(1.0, Erf.erfForFloat(Double.POSITIVE_INFINITY), 0);
        assertEquals(2.0, Erf.erfcForFloat(Double.NEGATIVE_INFINITY), 0);
    }
}
