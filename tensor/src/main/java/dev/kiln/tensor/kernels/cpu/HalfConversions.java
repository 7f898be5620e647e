package dev.kiln.tensor.kernels.cpu;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conversions between {@code float} and the two 16-bit floating types, IEEE binary16 ("f16") and
 * bfloat16 ("bf16"), whose values are stored as raw {@code short} bit patterns.
 *
 * <p>Narrowing always rounds to nearest, ties to even; a value at or beyond the halfway point
 * above the largest finite half value becomes an infinity of the same sign. Widening is exact.
 * Signed zeros and f16 subnormals are preserved exactly.
 *
 * <p>NaN handling, identical in the scalar methods and the array kernels (storage converted either
 * way is bit-identical) and independent of the platform and of JIT state:
 * <ul>
 *   <li>{@code f32 → f16}: a quiet NaN with the input's sign and the top 9 payload bits below the
 *       f32 quiet bit ({@code sign | 0x7e00 | (mantissa >>> 13) & 0x3ff}), as x86's
 *       {@code vcvtps2ph} does. A NaN never turns into an infinity.
 *   <li>{@code f16 → f32}: a quiet NaN with the sign and the 10-bit payload moved to the top of
 *       the f32 mantissa, quiet bit forced; f16 quiet NaNs therefore survive a round trip exactly.
 *   <li>{@code f32 → bf16}: the top 16 bits with the quiet bit forced ({@code | 0x0040}); without
 *       it a NaN whose payload lives only in the low 16 bits would truncate to infinity.
 *   <li>{@code bf16 → f32}: a pure bit extension ({@code bits << 16}), NaNs included, since that
 *       is the definition of bf16.
 * </ul>
 *
 * <p>The array kernels do not allocate (except the f16↔bf16 pair, one small scratch buffer per
 * call) and are safe to call concurrently on disjoint ranges.
 *
 * <p>Measured on the 2-core AVX-512 AMD EPYC dev box (ns per element, 4096 elements in L1 / 4M
 * elements from memory): f16 conversion through the JDK's intrinsics in a plain loop, which C2
 * turns into {@code vcvtps2ph}/{@code vcvtph2ps}, ran at 0.06/0.12 (to f16) and 0.04/0.13 (to
 * f32); IntVector bit tricks for the same ran at 0.18/0.27 and 0.14/0.16 at their best width. So
 * f16 uses the intrinsics plus a vector scan that rewrites NaNs (0.10/0.16 in total for f32→f16),
 * because the JDK's Java fallback and its intrinsic disagree on NaN payloads. bf16 is pure integer
 * work in IntVector: 0.10/0.16 (to bf16) and 0.05/0.13 (to f32) at 256 bits, against 0.6 for the
 * scalar loop; at 512 bits narrowing fell to 0.6-1.0 from memory, hence the 256-bit cap.
 */
public final class HalfConversions {
    /**
     * Vector width in bits of the int/float lanes: the platform's preferred width capped at 256
     * (see the measurements above), unless the system property {@code kiln.vector.bits} (64-512)
     * asks for another, which is how the tests exercise every width. Read once: species must be
     * {@code static final} for the JIT to compile Vector API calls to instructions (a species
     * passed as a parameter made these kernels 50-100x slower, boxing every vector).
     */
    static final VectorShape SHAPE = VectorShape.forBitSize(Integer.getInteger("kiln.vector.bits",
            Math.min(256, VectorShape.preferredShape().vectorBitSize())));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SHAPE);
    private static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, SHAPE);
    /** Same lane count as {@link #INTS}: a half-width vector of shorts widens to a full one of ints. */
    private static final VectorSpecies<Short> HALF_SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));
    private static final int LANES = INTS.length();
    /** Full-width shorts, for scanning f16 storage for NaNs. */
    private static final VectorSpecies<Short> SCAN = VectorSpecies.of(short.class, SHAPE);

    /** f16↔bf16 converts through an f32 scratch buffer of this many elements (4 KiB, stays in L1). */
    private static final int CHUNK = 1024;

    private static final int F32_ABS = 0x7fff_ffff;
    private static final int F32_INF = 0x7f80_0000;
    private static final int F16_ABS = 0x7fff;
    private static final int F16_INF = 0x7c00;

    private HalfConversions() {}

    // ---- scalar ----

    /** Widens an IEEE binary16 bit pattern to float, exactly (NaN: see the class comment). */
    public static float f16ToF32(short bits) {
        if ((bits & F16_ABS) > F16_INF) {
            return Float.intBitsToFloat(((bits & 0x8000) << 16) | 0x7fc0_0000 | ((bits & 0x03ff) << 13));
        }
        return Float.float16ToFloat(bits);
    }

    /** Rounds a float to the nearest IEEE binary16, ties to even (NaN: see the class comment). */
    public static short f32ToF16(float v) {
        int w = Float.floatToRawIntBits(v);
        if ((w & F32_ABS) > F32_INF) {
            return f16NaN(w);
        }
        // The JDK's Java fallback and its intrinsic agree (RNE) on everything but NaN payloads.
        return Float.floatToFloat16(v);
    }

    /** Widens a bfloat16 bit pattern to float: the bits become the top half of the float. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Rounds a float to the nearest bfloat16, ties to even; a NaN stays a (quiet) NaN. */
    public static short f32ToBf16(float v) {
        int w = Float.floatToRawIntBits(v);
        if ((w & F32_ABS) > F32_INF) {
            return (short) ((w >>> 16) | 0x0040);
        }
        // Adding 0x7fff plus the kept lsb rounds half to even; a carry out of the mantissa bumps the
        // exponent, which is exactly right, up to and including rounding into infinity.
        return (short) ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16);
    }

    // ---- from double ----
    //
    // Rounding a double to float (RNE) and then to a half can round twice: 1 + 2^-11 + 2^-40 lies
    // just above the f16 tie between 1 and 1 + 2^-10, but its float is the tie itself, which then
    // rounds to even (down). Rounding to float *to odd* first (truncate, then set the last bit when
    // anything was dropped) keeps that sticky information, and a round-to-odd to p + 2 or more bits
    // followed by a round-to-nearest-even to p bits equals a single round-to-nearest-even (Boldo &
    // Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to
    // odd", IEEE Trans. Computers 57(4), 2008, Theorem 1). Float keeps 24 bits, f16 needs 11 and bf16
    // 8, also in the subnormal ranges (f16's lie in float's normal range; bf16 shares float's
    // exponent range), so f64ToF16/f64ToBf16 round exactly once.

    /** The double rounded to float with round-to-odd (exact values, infinities and NaN unchanged). */
    static float toFloatRoundToOdd(double d) {
        float f = (float) d;
        if (f == d || d != d) {
            return f;
        }
        int bits = Float.floatToRawIntBits(f);
        if (Math.abs((double) f) > Math.abs(d)) {
            bits--; // RNE went away from zero (possibly to infinity): step back to the truncated value
        }
        return Float.intBitsToFloat(bits | 1);
    }

    /** Rounds a double to the nearest IEEE binary16, ties to even, rounding once (NaN as f32ToF16). */
    public static short f64ToF16(double v) {
        return f32ToF16(toFloatRoundToOdd(v));
    }

    /** Rounds a double to the nearest bfloat16, ties to even, rounding once (NaN as f32ToBf16). */
    public static short f64ToBf16(double v) {
        return f32ToBf16(toFloatRoundToOdd(v));
    }

    private static short f16NaN(int f32Bits) {
        return (short) (((f32Bits >>> 16) & 0x8000) | 0x7e00 | ((f32Bits >>> 13) & 0x03ff));
    }

    // ---- arrays ----

    /**
     * Widens {@code n} f16 values {@code src[srcOff..]} into {@code dst[dstOff..]}.
     *
     * @throws IndexOutOfBoundsException if either range does not fit its array or {@code n < 0}
     */
    public static void f16ToF32(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkRanges(src.length, srcOff, dst.length, dstOff, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
        }
        for (int i = nextF16NaN(src, srcOff, 0, n); i < n; i = nextF16NaN(src, srcOff, i + 1, n)) {
            dst[dstOff + i] = f16ToF32(src[srcOff + i]);
        }
    }

    /**
     * Rounds {@code n} floats {@code src[srcOff..]} to f16 into {@code dst[dstOff..]}.
     *
     * @throws IndexOutOfBoundsException if either range does not fit its array or {@code n < 0}
     */
    public static void f32ToF16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        checkRanges(src.length, srcOff, dst.length, dstOff, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
        }
        // Both the intrinsic and the fallback give a NaN exactly for a NaN input: scanning the
        // output (shorts, twice the lanes of the input) finds the ones to rewrite.
        for (int i = nextF16NaN(dst, dstOff, 0, n); i < n; i = nextF16NaN(dst, dstOff, i + 1, n)) {
            dst[dstOff + i] = f32ToF16(src[srcOff + i]);
        }
    }

    /**
     * Widens {@code n} bf16 values {@code src[srcOff..]} into {@code dst[dstOff..]}.
     *
     * @throws IndexOutOfBoundsException if either range does not fit its array or {@code n < 0}
     */
    public static void bf16ToF32(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkRanges(src.length, srcOff, dst.length, dstOff, n);
        int upper = INTS.loopBound(n);
        int i = 0;
        for (; i < upper; i += LANES) {
            ((IntVector) ShortVector.fromArray(HALF_SHORTS, src, srcOff + i)
                    .convertShape(VectorOperators.S2I, INTS, 0))
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = bf16ToF32(src[srcOff + i]);
        }
    }

    /**
     * Rounds {@code n} floats {@code src[srcOff..]} to bf16 into {@code dst[dstOff..]}.
     *
     * @throws IndexOutOfBoundsException if either range does not fit its array or {@code n < 0}
     */
    public static void f32ToBf16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        checkRanges(src.length, srcOff, dst.length, dstOff, n);
        int upper = INTS.loopBound(n);
        int i = 0;
        for (; i < upper; i += LANES) {
            IntVector w = FloatVector.fromArray(FLOATS, src, srcOff + i).reinterpretAsInts();
            IntVector top = w.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = w.add(top.and(1)).add(0x7fff).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = w.and(F32_ABS).compare(VectorOperators.GT, F32_INF);
            ((ShortVector) rounded.blend(top.or(0x0040), nan)
                    .convertShape(VectorOperators.I2S, HALF_SHORTS, 0))
                    .intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = f32ToBf16(src[srcOff + i]);
        }
    }

    /**
     * Converts {@code n} f16 values to bf16 through f32 (widening is exact, so this rounds once).
     * {@code src} and {@code dst} may be the same array if the ranges are identical or disjoint.
     *
     * @throws IndexOutOfBoundsException if either range does not fit its array or {@code n < 0}
     */
    public static void f16ToBf16(short[] src, int srcOff, short[] dst, int dstOff, int n) {
        checkRanges(src.length, srcOff, dst.length, dstOff, n);
        float[] scratch = new float[Math.min(n, CHUNK)];
        for (int i = 0; i < n; i += CHUNK) {
            int m = Math.min(CHUNK, n - i);
            f16ToF32(src, srcOff + i, scratch, 0, m);
            f32ToBf16(scratch, 0, dst, dstOff + i, m);
        }
    }

    /**
     * Converts {@code n} bf16 values to f16 through f32 (widening is exact, so this rounds once).
     * {@code src} and {@code dst} may be the same array if the ranges are identical or disjoint.
     *
     * @throws IndexOutOfBoundsException if either range does not fit its array or {@code n < 0}
     */
    public static void bf16ToF16(short[] src, int srcOff, short[] dst, int dstOff, int n) {
        checkRanges(src.length, srcOff, dst.length, dstOff, n);
        float[] scratch = new float[Math.min(n, CHUNK)];
        for (int i = 0; i < n; i += CHUNK) {
            int m = Math.min(CHUNK, n - i);
            bf16ToF32(src, srcOff + i, scratch, 0, m);
            f32ToF16(scratch, 0, dst, dstOff + i, m);
        }
    }

    /** Lanes per vector step of the bf16 kernels (tests cover every tail length below 2x this). */
    static int lanes() {
        return LANES;
    }

    private static void checkRanges(int srcLength, int srcOff, int dstLength, int dstOff, int n) {
        Objects.checkFromIndexSize(srcOff, n, srcLength);
        Objects.checkFromIndexSize(dstOff, n, dstLength);
    }

    /** The first {@code i} in {@code [from, n)} where {@code h[off + i]} is an f16 NaN, else {@code n}. */
    private static int nextF16NaN(short[] h, int off, int from, int n) {
        int i = from;
        int upper = from + SCAN.loopBound(n - from);
        for (; i < upper; i += SCAN.length()) {
            // Skip whole NaN-free vectors; the scalar loop below pins down the lane.
            if (ShortVector.fromArray(SCAN, h, off + i).and((short) F16_ABS)
                    .compare(VectorOperators.GT, (short) F16_INF).anyTrue()) {
                break;
            }
        }
        for (; i < n; i++) {
            if ((h[off + i] & F16_ABS) > F16_INF) {
                return i;
            }
        }
        return n;
    }
}
