package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The double species of the F64 kernels, chosen like {@link FloatSpecies}: the CPU's preferred
 * width, or {@code -Dkiln.vector.bits=128|256|512} so tests run every width. A {@code static final}
 * for the same reason (a species that is not a constant costs the Vector API its intrinsics).
 */
final class DoubleSpecies {
    static final VectorSpecies<Double> PREFERRED = pick(Integer.getInteger("kiln.vector.bits", 0));

    private DoubleSpecies() {}

    private static VectorSpecies<Double> pick(int bits) {
        if (bits == 0) {
            return DoubleVector.SPECIES_PREFERRED;
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("kiln.vector.bits must be 128, 256 or 512, got " + bits);
        }
        return DoubleVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(bits));
    }
}
