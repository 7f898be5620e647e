package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.backend.Backend.Distribution;
import dev.kiln.tensor.kernels.cpu.HalfConversions;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.CpuStorage;

/** Random fills from a {@link Generator}: every dtype draws the generator's one stream and converts it. */
final class CpuRandom {
    private CpuRandom() {}

    /** out (F64/F32/F16/BF16) from U[a, b) or N(mean a, std b). */
    static void random(Generator g, Distribution dist, double a, double b, Tensor out) {
        // Every float dtype draws the same F32 stream (the Generator's contract) and converts it:
        // F64 values are the F32 draws widened exactly, so rand(F64) == rand(F32).to(F64) for a seed.
        DType dtype = out.dtype();
        if (dtype == DType.F32) {
            draw(g, dist, a, b, out);
        } else {
            ComputePrecision.throughF32(out, tmp -> {
                draw(g, dist, a, b, tmp);
                if (dist == Distribution.UNIFORM && (dtype == DType.F16 || dtype == DType.BF16)) {
                    keepBelowHigh(storage(tmp).floats(), tmp.offset(), tmp.numel(), (float) b, dtype);
                }
            });
        }
    }

    /**
     * The F32 draws lie below {@code high}, but rounding to a half type can carry the largest of
     * them up to {@code high} itself (rand(F16) gave 1.0 for u > 1 - 2^-12). Those few become the
     * largest half value below {@code high}, so the interval stays half-open; every other draw is
     * untouched and the stream is the F32 one.
     */
    private static void keepBelowHigh(float[] v, int off, int n, float high, DType dtype) {
        float below = halfBelow(high, dtype);
        for (int i = off; i < off + n; i++) {
            if (roundToHalf(v[i], dtype) >= high) {
                v[i] = below;
            }
        }
    }

    private static float roundToHalf(float v, DType dtype) {
        return dtype == DType.F16
                ? HalfConversions.f16ToF32(HalfConversions.f32ToF16(v))
                : HalfConversions.bf16ToF32(HalfConversions.f32ToBf16(v));
    }

    /** The largest value of the half type strictly below {@code high}. */
    private static float halfBelow(float high, DType dtype) {
        float r = roundToHalf(high, dtype);
        if (r < high) {
            return r;
        }
        short bits = dtype == DType.F16 ? HalfConversions.f32ToF16(r) : HalfConversions.f32ToBf16(r);
        // Half bit patterns order like sign-magnitude integers: one step toward -inf is -1 on the
        // magnitude of a positive value, +1 on a negative one, and from +-0 the smallest negative.
        short down = (bits & 0x7fff) == 0 ? (short) 0x8001 : (bits & 0x8000) == 0 ? (short) (bits - 1) : (short) (bits + 1);
        return dtype == DType.F16 ? HalfConversions.f16ToF32(down) : HalfConversions.bf16ToF32(down);
    }

    private static void draw(Generator g, Distribution dist, double a, double b, Tensor out) {
        float[] target = storage(out).floats();
        if (dist == Distribution.UNIFORM) {
            g.fillUniform(target, out.offset(), out.numel(), (float) a, (float) b);
        } else {
            g.fillNormal(target, out.offset(), out.numel(), (float) a, (float) b);
        }
    }

    /** out (an integer dtype) with integers uniform in [low, high). */
    static void randomInt(Generator g, long low, long high, Tensor out) {
        int n = out.numel();
        long[] tmp = out.dtype() == DType.I64 ? storage(out).longs() : new long[n];
        int off = out.dtype() == DType.I64 ? out.offset() : 0;
        g.fillRandInt(tmp, off, n, low, high);
        if (out.dtype() != DType.I64) {
            CpuStorage d = storage(out);
            for (int i = 0; i < n; i++) {
                d.setLong(out.offset() + i, tmp[i]);
            }
        }
    }
}
