package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.backend.Backend.Distribution;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.CpuStorage;

/** Random fills from a {@link Generator}: every dtype draws the generator's one stream and converts it. */
final class CpuRandom {
    private CpuRandom() {}

    /** out (F64/F32/F16/BF16) from U[a, b) or N(mean a, std b). */
    static void random(Generator g, Distribution dist, double a, double b, Tensor out) {
        // Every float dtype draws the same F32 stream (the Generator's contract) and converts it:
        // F64 values are the F32 draws widened exactly, so rand(F64) == rand(F32).to(F64) for a seed.
        if (out.dtype() == DType.F32) {
            draw(g, dist, a, b, out);
        } else {
            ComputePrecision.throughF32(out, tmp -> draw(g, dist, a, b, tmp));
        }
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
