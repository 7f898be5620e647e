package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.checked.CheckedBackend;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Anomaly mode: which op a NaN or infinity is blamed on, the forward trace in the message, scope
 * nesting, and the off path. Expected values come from IEEE arithmetic (Math.log(-1) is NaN,
 * d sqrt(x)/dx = 1/(2 sqrt(x)) is inf at 0), not from the code under test.
 */
class AnomalyModeTest {

    @AfterEach
    void anomalyModeIsLeftOff() {
        Autograd.setDetectAnomaly(false);
    }

    private static Var param(float... values) {
        return Var.leaf(Tensor.fromArray(values, values.length), true);
    }

    private static boolean mentions(StackTraceElement[] trace, String method) {
        return Arrays.stream(trace).anyMatch(e -> e.getClassName().equals(AnomalyModeTest.class.getName())
                && e.getMethodName().equals(method));
    }

    @Test
    void logOfANegativeActivationIsBlamedOnLogInForward() {
        // A linear layer whose output is [-1, 3]: log(-1) is NaN (Math.log agrees).
        Var x = Var.constant(Tensor.fromArray(new float[] {1, 2}, 1, 2));
        Var w = Var.leaf(Tensor.fromArray(new float[] {1, 1, -1, 1}, 2, 2), true);
        Var b = param(0f, 0f);
        assertTrue(Double.isNaN(Math.log(-1)));
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            Var h = x.matmul(w).add(b); // [1*1 + 2*-1, 1*1 + 2*1] = [-1, 3]: finite, so no error yet
            assertArrayEquals(new double[] {-1, 3}, h.value().toDoubleArray(), 0);
            AnomalyException e = assertThrows(AnomalyException.class, () -> h.log().sum());
            assertEquals("log", e.op());
            assertFalse(e.inBackward());
            assertTrue(e.getMessage().startsWith("log produced NaN in its forward output (shape [1, 2])"), e.getMessage());
            assertTrue(e.getMessage().contains("Traceback of forward call that caused the error:"), e.getMessage());
            assertTrue(e.getMessage().contains("logOfANegativeActivationIsBlamedOnLogInForward"), e.getMessage());
            assertTrue(mentions(e.getStackTrace(), "lambda$logOfANegativeActivationIsBlamedOnLogInForward$0"));
            // The forward trace starts at the op, not in the recording machinery.
            assertEquals("log", e.forwardTrace()[0].getMethodName());
        }
    }

    @Test
    void aNaNAlreadyInALeafIsReportedAsReceivedNotProduced() {
        Var x = param(1f, Float.NaN);
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            AnomalyException e = assertThrows(AnomalyException.class, () -> x.mul(2.0));
            assertTrue(e.getMessage().startsWith("mul received NaN in input 0 (shape [2])"), e.getMessage());
        }
    }

    @Test
    void infiniteGradientOfSqrtAtZeroIsBlamedOnSqrtBackward() {
        Var x = param(0f, 4f);
        // Without anomaly mode the infinite gradient reaches the leaf unnoticed: 1/(2*sqrt(0)) = inf.
        x.sqrt().sum().backward();
        assertEquals(Double.POSITIVE_INFINITY, x.grad().toDoubleArray()[0]);
        assertEquals(0.25, x.grad().toDoubleArray()[1], 0);
        x.zeroGrad();
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            Var loss = x.sqrt().sum(); // forward [0, 2] is finite
            AnomalyException e = assertThrows(AnomalyException.class, loss::backward);
            assertEquals("sqrt", e.op());
            assertTrue(e.inBackward());
            assertEquals(0, e.gradientIndex());
            assertTrue(e.getMessage().startsWith("SqrtBackward produced inf in gradient 0 of its inputs"), e.getMessage());
            // The trace is the forward call that created sqrt (this method), not the backward call site.
            assertTrue(mentions(e.forwardTrace(), "infiniteGradientOfSqrtAtZeroIsBlamedOnSqrtBackward"));
            assertEquals("sqrt", e.forwardTrace()[0].getMethodName());
            assertTrue(e.getMessage().contains("infiniteGradientOfSqrtAtZeroIsBlamedOnSqrtBackward"), e.getMessage());
        }
        assertNull(x.grad(), "the failed backward accumulated nothing into the leaf");
    }

    @Test
    void aZeroGradientIntoSqrtAtZeroIsANaNBlamedOnSqrtBackward() {
        // sqrt(0) * 0 is 0, but sqrt's backward g / (2 sqrt(x)) gets g = 0 at x = 0: 0/0 = NaN.
        Var x = param(0f);
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            Var loss = x.sqrt().mul(0.0).sum();
            assertEquals(0, loss.value().item(), 0);
            AnomalyException e = assertThrows(AnomalyException.class, loss::backward);
            assertTrue(e.getMessage().startsWith("SqrtBackward produced NaN in gradient 0 of its inputs"), e.getMessage());
        }
    }

    @Test
    void backwardOfAGraphRecordedWithTheModeOffSaysThereIsNoTrace() {
        Var x = param(0f);
        Var loss = x.sqrt().sum();
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            AnomalyException e = assertThrows(AnomalyException.class, loss::backward);
            assertNull(e.forwardTrace());
            assertTrue(e.getMessage().contains("recorded with anomaly mode off"), e.getMessage());
        }
    }

    @Test
    void hugeButFiniteF64GradientsAreNotAnomalies() {
        // (2e200)^2 overflows a double, so the sum-of-squares screen alone would call this gradient infinite.
        Var x = Var.leaf(Tensor.fromArray(new double[] {1e200, -3}, DType.F64, 2), true);
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            x.mul(2.0).backward(Tensor.fromArray(new double[] {1e200, 1}, DType.F64, 2));
        }
        assertArrayEquals(new double[] {2e200, 2}, x.grad().toDoubleArray(), 0);
        Var y = Var.leaf(Tensor.fromArray(new double[] {1e200}, DType.F64, 1), true);
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            Var loss = y.mul(1e200).sum(); // forward inf is allowed; the gradient 1e200 is finite
            loss.backward();
        }
        assertArrayEquals(new double[] {1e200}, y.grad().toDoubleArray(), 0);
        Var z = Var.leaf(Tensor.fromArray(new double[] {1e200, 0}, DType.F64, 2), true);
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            Var loss = z.sqrt().sum(); // sqrt's gradient: [5e-101, inf]
            AnomalyException e = assertThrows(AnomalyException.class, loss::backward);
            assertTrue(e.getMessage().startsWith("SqrtBackward produced inf"), e.getMessage());
        }
    }

    @Test
    void forwardInfinitiesAreAllowedSoAMaskedSoftmaxTrains() {
        // A causal-style mask: -inf scores become zero probabilities, and every gradient is finite.
        Var scores = param(1f, 2f, 3f);
        Tensor mask = Tensor.fromArray(new boolean[] {false, false, true}, 3);
        try (AnomalyMode _ = Autograd.detectAnomaly()) {
            Var p = scores.maskedFill(mask, Double.NEGATIVE_INFINITY).softmax(0);
            p.mul(Var.constant(Tensor.fromArray(new float[] {1, 2, 3}, 3))).sum().backward();
        }
        for (double g : scores.grad().toDoubleArray()) {
            assertTrue(Double.isFinite(g));
        }
    }

    @Test
    void checksRunOnTheTensorsDeviceWithoutReachingIntoItsMemory() {
        // The checked device refuses any kernel call on storage it did not allocate, so a check that
        // read elements on the host (or made a CPU temporary) would fail here instead.
        Device device = CheckedBackend.install();
        try (DeviceScope _ = DeviceScope.enter(device); AnomalyMode _ = Autograd.detectAnomaly()) {
            Var x = param(-1f, 0f, 4f);
            assertEquals(device, x.value().device());
            AnomalyException forward = assertThrows(AnomalyException.class, () -> x.log());
            assertEquals("log", forward.op());
            Var loss = x.mul(x).sqrt().sum(); // sqrt(x^2) at x = 0: 1 / (2 sqrt(0)) = inf
            AnomalyException backward = assertThrows(AnomalyException.class, loss::backward);
            assertTrue(backward.getMessage().startsWith("SqrtBackward produced inf in gradient 0"), backward.getMessage());
        }
    }

    @Test
    void withTheModeOffNaNsPassAndNoTraceIsRecorded() {
        assertFalse(Autograd.isAnomalyEnabled());
        Var x = param(-1f);
        Var y = x.log();
        assertTrue(Double.isNaN(y.value().item()));
        assertNull(y.node().creationTrace);
        y.sum().backward(); // d log(x)/dx = 1/x = -1: no error
        assertArrayEquals(new double[] {-1}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void withoutNaNChecksOnlyTracesAreRecorded() {
        Var x = param(-1f);
        try (AnomalyMode _ = Autograd.detectAnomaly(false)) {
            Var y = x.log(); // NaN, not checked
            assertTrue(Double.isNaN(y.value().item()));
            assertNotNull(y.node().creationTrace);
            assertTrue(mentions(y.node().creationTrace, "withoutNaNChecksOnlyTracesAreRecorded"));
        }
    }

    @Test
    void scopesNestAndRestoreTheStateTheyFound() {
        assertFalse(Autograd.isAnomalyEnabled());
        AnomalyMode outer = Autograd.detectAnomaly();
        assertTrue(Autograd.isAnomalyEnabled());
        try (AnomalyMode _ = Autograd.detectAnomaly(false)) {
            assertEquals(AnomalyMode.Setting.TRACE_ONLY, AnomalyMode.current());
            Autograd.setDetectAnomaly(false); // undone when the inner scope closes
            assertFalse(Autograd.isAnomalyEnabled());
        }
        assertEquals(AnomalyMode.Setting.TRACE_AND_CHECK, AnomalyMode.current());
        outer.close();
        assertFalse(Autograd.isAnomalyEnabled());
        Autograd.setDetectAnomaly(true);
        outer.close(); // a second close is a no-op: it does not restore "off" again
        assertTrue(Autograd.isAnomalyEnabled());
        try (AnomalyMode _ = Autograd.detectAnomaly(false)) {
            assertEquals(AnomalyMode.Setting.TRACE_ONLY, AnomalyMode.current());
        }
        assertEquals(AnomalyMode.Setting.TRACE_AND_CHECK, AnomalyMode.current());
    }

    @Test
    void theModeIsPerThreadAndAScopeClosesOnlyOnItsOwnThread() throws Exception {
        AnomalyMode scope = Autograd.detectAnomaly();
        try {
            AtomicBoolean seenElsewhere = new AtomicBoolean(true);
            IllegalStateException[] closeError = new IllegalStateException[1];
            Thread t = new Thread(() -> {
                seenElsewhere.set(Autograd.isAnomalyEnabled());
                try {
                    scope.close();
                } catch (IllegalStateException e) {
                    closeError[0] = e;
                }
            });
            t.start();
            t.join();
            assertFalse(seenElsewhere.get());
            assertNotNull(closeError[0]);
            assertTrue(closeError[0].getMessage().contains("closed on thread"), closeError[0].getMessage());
            assertTrue(Autograd.isAnomalyEnabled());
        } finally {
            scope.close();
        }
        assertFalse(Autograd.isAnomalyEnabled());
    }

    @Test
    void theOffPathAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Var x = param(1f, 2f);
        Var y = param(3f, 4f);
        for (int i = 0; i < 2000; i++) {
            AnomalyMode.current(); // warm up: the first read creates the thread-local entry
            x.add(y);
        }
        long before = mx.getCurrentThreadAllocatedBytes();
        int on = 0;
        for (int i = 0; i < 100_000; i++) {
            on += AnomalyMode.current() != null ? 1 : 0;
        }
        long checkBytes = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, on);
        // Any per-op allocation would be at least 16 bytes an op (1.6 MB); what remains is the JIT
        // compiling the loop and the measurement itself, a few hundred bytes.
        assertTrue(checkBytes < 4096, "the off-path check of 100k ops allocated " + checkBytes + " bytes");

        // The same measurement sees what the mode costs when on (a trace per op), so it can fail.
        int ops = 1000;
        long offStart = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < ops; i++) {
            x.add(y);
        }
        long offBytes = mx.getCurrentThreadAllocatedBytes() - offStart;
        long onBytes;
        try (AnomalyMode _ = Autograd.detectAnomaly(false)) {
            long onStart = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < ops; i++) {
                x.add(y);
            }
            onBytes = mx.getCurrentThreadAllocatedBytes() - onStart;
        }
        assertTrue(onBytes - offBytes > ops * 200L, "traces cost " + (onBytes - offBytes) + " bytes for " + ops + " ops");
    }
}
