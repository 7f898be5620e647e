package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ThreadSetting;
import dev.kiln.tensor.TrainingOps;
import java.util.Arrays;

/**
 * Anomaly detection (torch.autograd.detect_anomaly): a debugging mode that finds the op where a
 * NaN or an infinity first appeared, instead of noticing it in the loss many ops later.
 *
 * <pre>{@code
 * try (AnomalyMode _ = Autograd.detectAnomaly()) {
 *     Var loss = model.forward(x).log().mean();   // throws AnomalyException: "log produced NaN ..."
 *     loss.backward();                            // or: "SqrtBackward produced inf in gradient 0 ..."
 * }
 * }</pre>
 *
 * <p>While it is on:
 * <ul>
 *   <li>every recorded op keeps the stack trace of the call that created it, so an error in its
 *       backward can say which line of the forward pass it came from (torch's "Traceback of
 *       forward call that caused the error");
 *   <li>with {@code checkNan} (the default), every op's forward output is checked for NaN, and
 *       every gradient a node's backward produces is checked for NaN and infinities; the first
 *       one found throws an {@link AnomalyException} naming the op. Each check is one device
 *       reduction and one scalar read; no tensor is copied to the host.
 * </ul>
 *
 * <p>Torch checks only backward. Kiln also checks forward outputs, so the op that first produced a
 * NaN is named when it runs. Infinities are allowed in forward, because they are often intended:
 * {@code maskedFill(mask, -inf)} before a softmax, {@code log(0)} in log-probabilities, max-pool
 * padding. An infinity that matters shows up later as a NaN ({@code inf - inf}, {@code 0 * inf})
 * or as an infinite gradient, and is reported there. A gradient is never meant to be infinite.
 *
 * <p>The mode is slow (a trace per op, a reduction per tensor): use it to find a bug, not to
 * train. When it is off, an op reads one thread-local and allocates nothing more.
 *
 * <p>Per thread, like {@link NoGrad} and {@link Autocast}: scopes nest, and closing one restores
 * the state it found (including a change made by {@link Autograd#setDetectAnomaly} inside it).
 * Close on the thread that entered (try-with-resources does). Run backward on the thread that
 * built the graph with the mode on.
 */
public final class AnomalyMode implements AutoCloseable {
    /** What the mode does on a thread; null (no entry) means off. */
    enum Setting { TRACE_ONLY, TRACE_AND_CHECK }

    private static final ThreadSetting<Setting> CURRENT = new ThreadSetting<>("AnomalyMode", null);

    private final ThreadSetting<Setting>.Scope scope;

    private AnomalyMode(Setting setting) {
        scope = CURRENT.enter(setting);
    }

    /**
     * Turns anomaly mode on for this thread until the returned scope is closed. With
     * {@code checkNan} false, only creation traces are recorded (torch's {@code check_nan=False}).
     */
    public static AnomalyMode enter(boolean checkNan) {
        return new AnomalyMode(checkNan ? Setting.TRACE_AND_CHECK : Setting.TRACE_ONLY);
    }

    /** Sets this thread's mode without a scope (torch.autograd.set_detect_anomaly). */
    static void set(boolean enabled, boolean checkNan) {
        CURRENT.set(!enabled ? null : checkNan ? Setting.TRACE_AND_CHECK : Setting.TRACE_ONLY);
    }

    /** This thread's setting, or null when anomaly mode is off. */
    static Setting current() {
        return CURRENT.get();
    }

    @Override
    public void close() {
        scope.close();
    }

    // ---------------------------------------------------------------- traces and checks (called by Var.op and BackwardEngine)

    /** The caller's stack from the op family's method on (the recording frames of Var.op dropped). */
    static StackTraceElement[] creationTrace() {
        StackTraceElement[] full = new Throwable().getStackTrace();
        int from = 0;
        while (from < full.length && isRecordingFrame(full[from])) {
            from++;
        }
        return Arrays.copyOfRange(full, from, full.length);
    }

    private static boolean isRecordingFrame(StackTraceElement e) {
        return e.getClassName().equals(AnomalyMode.class.getName())
                || (e.getClassName().equals(Var.class.getName()) && e.getMethodName().equals("op"));
    }

    /** Throws when op {@code name}'s forward output holds a NaN. */
    static void checkForward(String name, Tensor output, Var[] inputs) {
        if (!hasNaN(output)) {
            return;
        }
        for (int i = 0; i < inputs.length; i++) {
            // An op result would have been caught when it was computed, so a NaN input came from
            // outside: a leaf, a constant, or a value computed with anomaly mode off.
            if (hasNaN(inputs[i].value())) {
                throw new AnomalyException(name, -1, name + " received NaN in input " + i + " (shape "
                        + inputs[i].shape() + ") of its forward pass: a leaf, a constant or a value computed with "
                        + "anomaly mode off already held it", creationTrace());
            }
        }
        throw new AnomalyException(name, -1, name + " produced NaN in its forward output (shape " + output.shape() + ")",
                creationTrace());
    }

    /** Throws when a gradient {@code node}'s backward produced for one of its inputs holds a NaN or an infinity. */
    static void checkBackward(Node node, Tensor[] grads) {
        for (int k = 0; k < grads.length && k < node.inputCount(); k++) {
            if (grads[k] == null || node.target(k) == null) {
                continue;
            }
            String bad = nonFinite(grads[k]);
            if (bad != null) {
                String fn = backwardName(node.op);
                throw new AnomalyException(node.op, k, fn + " produced " + bad + " in gradient " + k + " of its inputs "
                        + "(input shape " + node.inputShape(k) + ", backward of op '" + node.op + "')", node.creationTrace);
            }
        }
    }

    /** torch's grad_fn naming: "div" -> "DivBackward", "logSoftmax" -> "LogSoftmaxBackward". */
    static String backwardName(String op) {
        return Character.toUpperCase(op.charAt(0)) + op.substring(1) + "Backward";
    }

    private static boolean hasNaN(Tensor t) {
        return "NaN".equals(nonFinite(t));
    }

    /**
     * "NaN" when t holds a NaN, else "inf" when it holds an infinity, else null. One reduction: the
     * sum of squares (accumulated in double) is NaN exactly when some element is NaN, and infinite
     * when some element is infinite or, for F64 only, when it overflows; that rare case is confirmed
     * with the largest magnitude.
     */
    private static String nonFinite(Tensor t) {
        if (!t.dtype().isFloatingPoint() || t.numel() == 0) {
            return null;
        }
        double sumSq;
        try (Tensor s = TrainingOps.sumOfSquares(t)) {
            sumSq = s.item();
        }
        if (Double.isNaN(sumSq)) {
            return "NaN";
        }
        if (Double.isInfinite(sumSq)) {
            // An F32 square is below 1.2e77, so only F64 elements above ~1.3e154 can overflow the sum.
            if (t.dtype() == DType.F64) {
                try (Tensor abs = t.abs(); Tensor max = abs.max()) {
                    if (!Double.isInfinite(max.item())) {
                        return null;
                    }
                }
            }
            return "inf";
        }
        return null;
    }
}
