package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The probe's contract on both kinds of machine. Exactly one of the two branch tests runs; the
 * other shows up as skipped, so a report says which kind of machine the suite ran on.
 */
class CudaProbeTest {
    private static final CudaProbe.Result RESULT = CudaProbe.probe();

    @Test
    void probeIsConsistent() {
        assertEquals(RESULT.available(), RESULT.reason().isEmpty(),
                () -> "available=" + RESULT.available() + " but reason='" + RESULT.reason() + "'");
        assertEquals(RESULT.available(), !RESULT.devices().isEmpty(), () -> RESULT.toString());
        System.out.println("CudaProbe: " + RESULT);
    }

    @Test
    void withoutGpuTheReasonSaysWhy() {
        assumeFalse(RESULT.available(), "a CUDA device is visible");
        assertFalse(RESULT.reason().isBlank());
        assertTrue(RESULT.devices().isEmpty());
    }

    @Test
    void withGpuEveryDeviceHasANameAndMemory() {
        assumeTrue(RESULT.available(), () -> "no CUDA device: " + RESULT.reason());
        assertTrue(RESULT.driverVersion() > 0, () -> "driver version " + RESULT.driverVersion());
        for (CudaProbe.Gpu gpu : RESULT.devices()) {
            assertFalse(gpu.name().isBlank(), () -> "device " + gpu.ordinal() + " has no name");
            assertTrue(gpu.ccMajor() >= 3, () -> gpu + ": compute capability");
            assertTrue(gpu.totalMemoryBytes() > 0, () -> gpu + ": memory");
        }
    }

    @Test
    void probingTwiceGivesTheSameAnswer() {
        assertEquals(RESULT, CudaProbe.probe());
    }
}
