package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species of the elementwise and reduction kernels: the CPU's preferred width, or
 * {@code -Dkiln.vector.bits=128|256|512} so tests can run every width the code may meet (512-bit
 * is emulated on machines without it but must still be correct). Read once into a
 * {@code static final}: a species that is not a constant costs the Vector API its intrinsics.
 */
public final class FloatSpecies {
    public static final VectorSpecies<Float> PREFERRED = pick(Integer.getInteger("kiln.vector.bits", 0));

    private FloatSpecies() {}

    private static VectorSpecies<Float> pick(int bits) {
        if (bits == 0) {
            return FloatVector.SPECIES_PREFERRED;
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("kiln.vector.bits must be 128, 256 or 512, got " + bits);
        }
        return FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(bits));
    }
}
