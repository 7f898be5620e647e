package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive and randomized checks of {@link HalfConversions} against references written here
 * from the format definitions: decoding by sign/exponent/mantissa arithmetic in double, encoding
 * by exact integer rounding of the float's significand.
 *
 * <p>Run with {@code -Dkiln.vector.bits=128|256|512} (through {@code -Dkiln.jvm.flags=...}) to
 * exercise the array kernels at another vector width, and with {@code -XX:+UnlockDiagnosticVMOptions
 * -XX:DisableIntrinsic=_floatToFloat16,_float16ToFloat} to exercise the JDK's Java fallback, whose
 * NaN payloads differ from x86's and which the kernels' NaN fix-up must cover.
 */
class HalfConversionsTest {
    /** IEEE binary16: 10 mantissa bits, bias 15. */
    private static final Format F16 = new Format("f16", 10, 15);
    /** bfloat16: 7 mantissa bits, bias 127. */
    private static final Format BF16 = new Format("bf16", 7, 127);

    private record Format(String name, int p, int bias) {
        int expMax() {
            return (1 << (15 - p)) - 1;
        }

        int infBits() {
            return expMax() << p;
        }

        float decode(short bits) {
            return this == F16 ? HalfConversions.f16ToF32(bits) : HalfConversions.bf16ToF32(bits);
        }

        short encode(float v) {
            return this == F16 ? HalfConversions.f32ToF16(v) : HalfConversions.f32ToBf16(v);
        }
    }

    // ---- references ----

    /** Decodes from the definition; NaN for NaN patterns (callers check those separately). */
    private static double refDecode(Format f, int bits) {
        boolean negative = (bits & 0x8000) != 0;
        int exp = (bits >>> f.p()) & f.expMax();
        int mant = bits & ((1 << f.p()) - 1);
        double magnitude;
        if (exp == f.expMax()) {
            magnitude = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exp == 0) {
            magnitude = mant * Math.pow(2, 1 - f.bias() - f.p());
        } else {
            magnitude = ((1 << f.p()) + mant) * Math.pow(2, exp - f.bias() - f.p());
        }
        return negative ? -magnitude : magnitude;
    }

    /**
     * Rounds a non-NaN float to the format, ties to even, by integer arithmetic: the float is
     * {@code m·2^e} exactly; the target quantum is {@code 2^qe}; {@code k = round(m·2^(e-qe))}
     * and the encoding of {@code k·2^qe} is {@code ((qe + bias + p) << p) + k - 2^p}, which is right
     * for subnormals, normals and a carry into the next binade alike.
     */
    private static short refEncode(Format f, float x) {
        int w = Float.floatToRawIntBits(x);
        int sign = (w >>> 16) & 0x8000;
        int abs = w & 0x7fff_ffff;
        if (abs == 0x7f80_0000) {
            return (short) (sign | f.infBits());
        }
        if (abs == 0) {
            return (short) sign;
        }
        int biasedE = abs >>> 23;
        long m = biasedE == 0 ? (abs & 0x7f_ffff) : (abs & 0x7f_ffff) | 0x80_0000;
        int e = (biasedE == 0 ? -126 : biasedE - 127) - 23;
        int floorLog2 = biasedE == 0 ? -127 : biasedE - 127;
        int emax = f.expMax() - 1 - f.bias();
        if (floorLog2 > emax) {
            return (short) (sign | f.infBits());
        }
        int qe = Math.max(floorLog2, 1 - f.bias()) - f.p();
        int s = qe - e;
        long k;
        if (s <= 0) {
            k = m << -s;
        } else if (s > 40) {
            k = 0; // m < 2^24 is far below half a quantum
        } else {
            long rem = m & ((1L << s) - 1);
            long half = 1L << (s - 1);
            k = m >>> s;
            if (rem > half || (rem == half && (k & 1) == 1)) {
                k++;
            }
        }
        long bits = ((long) (qe + f.bias() + f.p()) << f.p()) + k - (1L << f.p());
        if (bits >= f.infBits()) {
            bits = f.infBits();
        }
        return (short) (sign | bits);
    }

    // ---- decode, every pattern ----

    @Test
    void decodesEveryPatternLikeTheDefinition() {
        for (Format f : new Format[] {F16, BF16}) {
            for (int b = 0; b < 65536; b++) {
                float got = f.decode((short) b);
                double want = refDecode(f, b);
                if (Double.isNaN(want)) {
                    assertTrue(Float.isNaN(got), () -> f.name() + " NaN pattern decoded to non-NaN");
                    int gotBits = Float.floatToRawIntBits(got);
                    int expected = f == F16
                            ? ((b & 0x8000) << 16) | 0x7fc0_0000 | ((b & 0x3ff) << 13)
                            : b << 16;
                    assertEquals(expected, gotBits, f.name() + " NaN bits for " + hex(b));
                } else {
                    assertEquals(want, (float) want, 0.0, "reference is exact in float");
                    assertBitsEqual(Float.floatToRawIntBits((float) want), Float.floatToRawIntBits(got),
                            f.name() + " decode of " + hex(b));
                }
            }
        }
    }

    @Test
    void reEncodingADecodedValueGivesTheSameBits() {
        for (Format f : new Format[] {F16, BF16}) {
            for (int b = 0; b < 65536; b++) {
                if ((b & 0x7fff) > f.infBits()) {
                    continue;
                }
                short back = f.encode(f.decode((short) b));
                assertBitsEqual(b, back & 0xffff, f.name() + " round trip of " + hex(b));
            }
        }
    }

    // ---- rounding at and around every midpoint ----

    @Test
    void midpointsRoundToEvenAndNeighboursRoundToNearest() {
        for (Format f : new Format[] {F16, BF16}) {
            for (int sign : new int[] {0, 0x8000}) {
                // Every pair of adjacent finite magnitudes (b, b + 1) below the largest finite value.
                for (int b = 0; b < f.infBits() - 1; b++) {
                    double lo = refDecode(f, b);
                    double hi = refDecode(f, b + 1);
                    checkMidpoint(f, sign, b, (lo + hi) / 2);
                }
                // The largest finite value and the value one quantum above it, which is Inf.
                int maxFinite = f.infBits() - 1;
                double max = refDecode(f, maxFinite);
                double quantum = max - refDecode(f, maxFinite - 1);
                checkMidpoint(f, sign, maxFinite, max + quantum / 2);
                float inf = sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                float beyond = (float) ((sign == 0 ? 1 : -1) * (max + quantum));
                for (float v : new float[] {beyond, Math.scalb(beyond, 1), Math.copySign(Float.MAX_VALUE, inf), inf}) {
                    assertBitsEqual(sign | f.infBits(), f.encode(v) & 0xffff, f.name() + " overflow of " + v);
                }
            }
        }
    }

    /** {@code mid} is halfway between magnitude codes {@code b} and {@code b + 1} (b + 1 may be Inf). */
    private static void checkMidpoint(Format f, int sign, int b, double mid) {
        float m = (float) mid;
        assertEquals(mid, m, 0.0, "midpoint is exact in float");
        float signed = sign == 0 ? m : -m;
        int even = (b & 1) == 0 ? b : b + 1;
        String at = f.name() + " midpoint above " + hex(sign | b);
        assertBitsEqual(sign | even, f.encode(signed) & 0xffff, at);
        float below = sign == 0 ? Math.nextDown(signed) : Math.nextUp(signed);
        float above = sign == 0 ? Math.nextUp(signed) : Math.nextDown(signed);
        assertBitsEqual(sign | b, f.encode(below) & 0xffff, at + " minus one float ulp");
        assertBitsEqual(sign | (b + 1), f.encode(above) & 0xffff, at + " plus one float ulp");
    }

    // ---- NaN ----

    @Test
    void nanStaysNanAndIsQuiet() {
        int[] nans = {0x7fc0_0000, 0xffc0_0000, 0x7f80_0001, 0xff80_0001, 0x7f80_ffff, 0x7fbf_ffff,
            0x7fff_ffff, 0xffff_ffff, 0x7f80_2000, 0x7fa0_0000};
        for (int w : nans) {
            float v = Float.intBitsToFloat(w);
            short h = HalfConversions.f32ToF16(v);
            assertBitsEqual(((w >>> 16) & 0x8000) | 0x7e00 | ((w >>> 13) & 0x3ff), h & 0xffff, "f16 NaN of " + hex(w));
            short bf = HalfConversions.f32ToBf16(v);
            assertBitsEqual((w >>> 16) | 0x0040, bf & 0xffff, "bf16 NaN of " + hex(w));
            assertTrue(Float.isNaN(HalfConversions.f16ToF32(h)) && Float.isNaN(HalfConversions.bf16ToF32(bf)));
        }
    }

    // ---- random f32 sweep against the integer reference ----

    @Test
    void randomFloatsRoundLikeTheIntegerReference() {
        SplittableRandom rnd = new SplittableRandom(20240611);
        for (int t = 0; t < 2_000_000; t++) {
            // Half the draws are raw bit patterns; half land in f16's exponent range, where raw
            // bits rarely go.
            int w = (t & 1) == 0 ? rnd.nextInt()
                    : (rnd.nextInt() & 0x807f_ffff) | ((127 + rnd.nextInt(-27, 17)) << 23);
            float v = Float.intBitsToFloat(w);
            if (Float.isNaN(v)) {
                continue;
            }
            for (Format f : new Format[] {F16, BF16}) {
                short want = refEncode(f, v);
                short got = f.encode(v);
                if (want != got) {
                    fail(f.name() + " rounding of " + hex(w) + " (" + v + "): want " + hex(want & 0xffff)
                            + ", got " + hex(got & 0xffff));
                }
            }
        }
    }

    // ---- array kernels against the scalar methods ----

    @Test
    void arrayKernelsMatchScalarAtEveryTailLength() {
        SplittableRandom rnd = new SplittableRandom(7);
        int lanes = HalfConversions.lanes();
        for (int n = 0; n <= 2 * lanes + 1; n++) {
            checkArrays(rnd, n, rnd.nextInt(4), rnd.nextInt(4));
        }
        for (int n : new int[] {63, 1000, 1023, 1024, 1025, 3 * 1024 + 7, 4099}) {
            checkArrays(rnd, n, rnd.nextInt(5), rnd.nextInt(5));
        }
    }

    @Test
    void arrayKernelsMatchScalarOnEveryHalfPattern() {
        short[] all = new short[65536 + 3];
        for (int b = 0; b < 65536; b++) {
            all[b + 3] = (short) b;
        }
        float[] wide = new float[65536 + 1];
        short[] back = new short[65536 + 2];
        HalfConversions.f16ToF32(all, 3, wide, 1, 65536);
        for (int b = 0; b < 65536; b++) {
            assertBitsEqual(Float.floatToRawIntBits(HalfConversions.f16ToF32((short) b)),
                    Float.floatToRawIntBits(wide[b + 1]), "f16ToF32[] at " + hex(b));
        }
        HalfConversions.f32ToF16(wide, 1, back, 2, 65536);
        for (int b = 0; b < 65536; b++) {
            assertBitsEqual(HalfConversions.f32ToF16(wide[b + 1]) & 0xffff, back[b + 2] & 0xffff, "f32ToF16[] at " + hex(b));
        }
        HalfConversions.bf16ToF32(all, 3, wide, 1, 65536);
        for (int b = 0; b < 65536; b++) {
            assertBitsEqual(b << 16, Float.floatToRawIntBits(wide[b + 1]), "bf16ToF32[] at " + hex(b));
        }
        HalfConversions.f32ToBf16(wide, 1, back, 2, 65536);
        for (int b = 0; b < 65536; b++) {
            assertBitsEqual(HalfConversions.f32ToBf16(wide[b + 1]) & 0xffff, back[b + 2] & 0xffff, "f32ToBf16[] at " + hex(b));
        }
    }

    private static void checkArrays(SplittableRandom rnd, int n, int srcOff, int dstOff) {
        float[] floats = new float[srcOff + n + 2];
        short[] halves = new short[srcOff + n + 2];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = randomSpecialishFloat(rnd);
            halves[i] = (short) rnd.nextInt();
        }
        String at = " n=" + n + " srcOff=" + srcOff + " dstOff=" + dstOff;

        float[] wide = new float[dstOff + n + 2];
        HalfConversions.f16ToF32(halves, srcOff, wide, dstOff, n);
        for (int i = 0; i < n; i++) {
            assertBitsEqual(Float.floatToRawIntBits(HalfConversions.f16ToF32(halves[srcOff + i])),
                    Float.floatToRawIntBits(wide[dstOff + i]), "f16ToF32[]" + at + " i=" + i);
        }
        HalfConversions.bf16ToF32(halves, srcOff, wide, dstOff, n);
        for (int i = 0; i < n; i++) {
            assertBitsEqual(Float.floatToRawIntBits(HalfConversions.bf16ToF32(halves[srcOff + i])),
                    Float.floatToRawIntBits(wide[dstOff + i]), "bf16ToF32[]" + at + " i=" + i);
        }
        short[] narrow = new short[dstOff + n + 2];
        HalfConversions.f32ToF16(floats, srcOff, narrow, dstOff, n);
        for (int i = 0; i < n; i++) {
            assertBitsEqual(HalfConversions.f32ToF16(floats[srcOff + i]), narrow[dstOff + i], "f32ToF16[]" + at + " i=" + i);
        }
        HalfConversions.f32ToBf16(floats, srcOff, narrow, dstOff, n);
        for (int i = 0; i < n; i++) {
            assertBitsEqual(HalfConversions.f32ToBf16(floats[srcOff + i]), narrow[dstOff + i], "f32ToBf16[]" + at + " i=" + i);
        }
        HalfConversions.f16ToBf16(halves, srcOff, narrow, dstOff, n);
        for (int i = 0; i < n; i++) {
            short want = HalfConversions.f32ToBf16(HalfConversions.f16ToF32(halves[srcOff + i]));
            assertBitsEqual(want, narrow[dstOff + i], "f16ToBf16[]" + at + " i=" + i);
        }
        HalfConversions.bf16ToF16(halves, srcOff, narrow, dstOff, n);
        for (int i = 0; i < n; i++) {
            short want = HalfConversions.f32ToF16(HalfConversions.bf16ToF32(halves[srcOff + i]));
            assertBitsEqual(want, narrow[dstOff + i], "bf16ToF16[]" + at + " i=" + i);
        }
        // In place over the identical range.
        short[] inPlace = halves.clone();
        HalfConversions.f16ToBf16(inPlace, srcOff, inPlace, srcOff, n);
        for (int i = 0; i < n; i++) {
            short want = HalfConversions.f32ToBf16(HalfConversions.f16ToF32(halves[srcOff + i]));
            assertBitsEqual(want, inPlace[srcOff + i], "in-place f16ToBf16[]" + at + " i=" + i);
        }
        // Elements outside the destination range are untouched.
        assertEquals(0, narrow.length > dstOff + n ? narrow[dstOff + n] : 0, "wrote past the range" + at);
    }

    /** Mostly ordinary values, with NaNs (all kinds), infinities, zeros, subnormals and f16 edge values. */
    private static float randomSpecialishFloat(SplittableRandom rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> Float.intBitsToFloat(rnd.nextInt()); // any pattern, NaNs included
            case 1 -> Float.intBitsToFloat((rnd.nextInt() & 0x807f_ffff) | 0x7f80_0000); // Inf/NaN
            case 2 -> Float.intBitsToFloat(rnd.nextInt() & 0x807f_ffff); // zero or f32 subnormal
            case 3 -> (rnd.nextBoolean() ? 1 : -1) * (65504f + rnd.nextInt(-32, 48)); // f16 overflow edge
            case 4 -> (float) (rnd.nextDouble(-1, 1) * 0x1p-14); // f16 subnormal range
            default -> (float) (rnd.nextGaussian() * 100);
        };
    }

    @Test
    void arrayKernelsRejectBadRanges() {
        float[] f = new float[8];
        short[] h = new short[8];
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.f16ToF32(h, 0, f, 0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.f16ToF32(h, 1, f, 0, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.f32ToF16(f, 0, h, 1, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.bf16ToF32(h, -1, f, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.f32ToBf16(f, 0, h, 7, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.f16ToBf16(h, 0, h, 0, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> HalfConversions.bf16ToF16(h, 0, h, 0, 9));
    }

    private static void assertBitsEqual(short want, short got, String what) {
        assertBitsEqual(want & 0xffff, got & 0xffff, what);
    }

    private static void assertBitsEqual(int want, int got, String what) {
        if (want != got) {
            fail(what + ": want " + hex(want) + ", got " + hex(got));
        }
    }

    private static String hex(int bits) {
        return "0x" + Integer.toHexString(bits);
    }
}
