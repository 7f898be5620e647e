package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.checked.CheckedBackend;
import dev.kiln.tensor.ops.FusedStep;
import dev.kiln.tensor.random.Generator;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The backend operations behind optimizers, clipping, loss scaling and checkpoint I/O, against plain loops. */
class TrainingOpsTest {
    @Test
    void sumOfSquaresOfAStridedViewMatchesADoubleLoop() {
        Generator g = new Generator(3);
        try (Tensor base = Tensor.randn(g, 7, 9); Tensor view = base.transpose(0, 1).narrow(0, 2, 5);
             Tensor ss = TrainingOps.sumOfSquares(view)) {
            double expected = 0;
            for (double v : view.toDoubleArray()) {
                expected += v * v;
            }
            assertEquals(DType.F64, ss.dtype());
            assertEquals(expected, ss.item(), 1e-12 * expected);
        }
        try (Tensor h = Tensor.fromArray(new double[] {1.5, -2, 65504}, DType.F16, 3); Tensor ss = TrainingOps.sumOfSquares(h)) {
            assertEquals(1.5 * 1.5 + 4 + 65504.0 * 65504.0, ss.item(), 0);
        }
    }

    @Test
    void scaleAndCheckFiniteScalesInPlaceAndOnlyEverSetsTheFlag() {
        float[] data = {1f, -3f, 2e38f, 0.25f};
        try (Tensor t = Tensor.fromArray(data.clone(), 4); Tensor flag = Tensor.zeros(1)) {
            TrainingOps.scaleAndCheckFinite(t, 0.5, flag);
            assertArrayEquals(new float[] {0.5f, -1.5f, 1e38f, 0.125f}, t.toFloatArray());
            assertEquals(0.0, flag.item(), "all finite: the flag stays 0");
            TrainingOps.scaleAndCheckFinite(t, 8, flag);
            assertEquals(1.0, flag.item(), "8e38 overflows float");
            assertEquals(Float.POSITIVE_INFINITY, t.toFloatArray()[2]);
            try (Tensor fine = Tensor.ones(2)) {
                TrainingOps.scaleAndCheckFinite(fine, 2, flag);
            }
            assertEquals(1.0, flag.item(), "a later finite tensor does not clear the flag");
        }
        try (Tensor nan = Tensor.fromArray(new double[] {1, Double.NaN}, DType.BF16, 2); Tensor flag = Tensor.zeros(1)) {
            TrainingOps.scaleAndCheckFinite(nan, 2, flag);
            assertEquals(1.0, flag.item());
            assertEquals(2.0, nan.toDoubleArray()[0]);
        }
    }

    @Test
    void fusedStepsAcceptStateViewsAtAnyOffset() {
        Generator g = new Generator(5);
        try (Tensor p0 = Tensor.randn(g, 100); Tensor grad = Tensor.randn(g, 100); Tensor p1 = p0.copy();
             Tensor m0 = Tensor.zeros(100); Tensor v0 = Tensor.zeros(100); Tensor flat = Tensor.zeros(300)) {
            Tensor m1 = flat.narrow(0, 37, 100);
            Tensor v1 = flat.narrow(0, 180, 100);
            FusedStep.Adam step = new FusedStep.Adam(0.9, 0.999, 1e-8f, 1e-2f, (float) Math.sqrt(1 - 0.999), 0f, 1f);
            for (int i = 0; i < 3; i++) {
                TrainingOps.adam(step, p0, grad, m0, v0, null);
                TrainingOps.adam(step, p1, grad, m1, v1, null);
            }
            assertArrayEquals(p0.toFloatArray(), p1.toFloatArray());
            assertArrayEquals(m0.toFloatArray(), m1.toFloatArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrainingOps.sgd(new FusedStep.Sgd(0.1f, 0, 0, 0, false, true), p0, grad.narrow(0, 0, 50), null));
            assertTrue(e.getMessage().contains("50 elements"), e.getMessage());
        }
    }

    @Test
    void sgdMatchesTheFormulaElementByElement() {
        float[] p = {1f, -2f, 0.5f};
        float[] gr = {0.1f, 0.2f, -0.3f};
        try (Tensor pt = Tensor.fromArray(p.clone(), 3); Tensor gt = Tensor.fromArray(gr, 3); Tensor buf = Tensor.zeros(3)) {
            TrainingOps.sgd(new FusedStep.Sgd(0.5f, 0.01f, 0.9f, 0, false, true), pt, gt, buf);
            TrainingOps.sgd(new FusedStep.Sgd(0.5f, 0.01f, 0.9f, 0, false, false), pt, gt, buf);
            float[] out = pt.toFloatArray();
            for (int i = 0; i < 3; i++) {
                double d1 = gr[i] + 0.01 * p[i];
                double p1 = p[i] - 0.5 * d1;
                double d2 = gr[i] + 0.01 * p1;
                double b2 = 0.9 * d1 + d2;
                assertEquals(p1 - 0.5 * b2, out[i], 1e-6);
            }
        }
    }

    @Test
    void bytesAreLittleEndianRowMajorBothWays() {
        float[] v = {1.5f, -0f, Float.NaN, 3e-40f, 7f, -8f};
        try (Tensor t = Tensor.fromArray(v, 2, 3); Tensor tt = t.transpose(0, 1)) {
            MemorySegment seg = MemorySegment.ofArray(new byte[24]);
            tt.writeBytes(seg);
            ByteBuffer expected = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : tt.toFloatArray()) {
                expected.putFloat(f);
            }
            assertArrayEquals(expected.array(), seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            try (Tensor back = Tensor.zeros(3, 2)) {
                back.readBytes(seg);
                assertArrayEquals(tt.toFloatArray(), back.toFloatArray());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.writeBytes(MemorySegment.ofArray(new byte[20])));
            assertTrue(e.getMessage().contains("20 bytes") && e.getMessage().contains("needs 24"), e.getMessage());
        }
        try (Tensor ids = Tensor.fromArray(new long[] {1L << 40, -2}, 2)) {
            MemorySegment seg = MemorySegment.ofArray(new byte[16]);
            ids.writeBytes(seg);
            ByteBuffer b = ByteBuffer.wrap(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1L << 40, b.getLong());
            assertEquals(-2L, b.getLong());
        }
        try (Tensor flags = Tensor.zeros(DType.BOOL, 3)) {
            flags.readBytes(MemorySegment.ofArray(new byte[] {0, 7, (byte) 0xff}));
            assertArrayEquals(new boolean[] {false, true, true}, flags.toBooleanArray());
            assertEquals(1.0, flags.toDoubleArray()[1], "stored as 1, as BOOL kernels assume");
        }
    }

    @Test
    void tensorsMoveBetweenDevicesAndScopesNest() {
        Device checked = CheckedBackend.install();
        assertEquals(Device.CPU, DeviceScope.current());
        try (Tensor cpu = Tensor.fromArray(new float[] {1, 2, 3}, 3)) {
            try (DeviceScope _ = DeviceScope.enter(checked)) {
                assertEquals(checked, DeviceScope.current());
                try (DeviceScope _ = DeviceScope.enter(Device.CPU)) {
                    assertEquals(Device.CPU, DeviceScope.current());
                }
                assertEquals(checked, DeviceScope.current());
                try (Tensor z = Tensor.zeros(2); Tensor moved = cpu.to(checked); Tensor sum = moved.add(1)) {
                    assertEquals(checked, z.device());
                    assertEquals(checked, sum.device());
                    assertArrayEquals(new float[] {2, 3, 4}, sum.toFloatArray());
                    try (Tensor home = sum.to(Device.CPU); Tensor s2 = sum.newScalar(5, DType.F32)) {
                        assertEquals(Device.CPU, home.device());
                        assertEquals(checked, s2.device());
                    }
                    cpu.copyFrom(sum); // copies across devices, as torch's copy_
                    for (java.util.function.Supplier<Tensor> mixed : java.util.List.<java.util.function.Supplier<Tensor>>of(
                            () -> moved.reshape(1, 3).matmul(cpu.reshape(3, 1)),
                            () -> Tensor.cat(java.util.List.of(moved, cpu), 0),
                            () -> moved.gather(0, Tensor.zeros(DType.I64, 2).to(Device.CPU)),
                            () -> moved.add(cpu))) {
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, mixed::get);
                        assertTrue(e.getMessage().contains("different devices"), e.getMessage());
                    }
                }
            }
            assertEquals(Device.CPU, DeviceScope.current());
            assertArrayEquals(new float[] {2, 3, 4}, cpu.toFloatArray());
        }
    }
}
