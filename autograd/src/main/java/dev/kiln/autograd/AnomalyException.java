package dev.kiln.autograd;

/**
 * Thrown in {@link AnomalyMode} at the first NaN in an op's forward output, or the first NaN or
 * infinity in a gradient an op's backward produced. The message names the op ("log produced NaN
 * in its forward output", "DivBackward produced NaN in gradient 0 of its inputs") and ends with
 * the stack of the forward call that created the op. For a forward anomaly, that is also where
 * this exception was thrown; for a backward one, this exception's own stack is the backward call.
 */
public final class AnomalyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String op;
    private final int gradientIndex;
    private final transient StackTraceElement[] forwardTrace;

    AnomalyException(String op, int gradientIndex, String what, StackTraceElement[] forwardTrace) {
        super(what + "\n" + describe(forwardTrace));
        this.op = op;
        this.gradientIndex = gradientIndex;
        this.forwardTrace = forwardTrace;
    }

    private static String describe(StackTraceElement[] trace) {
        if (trace == null) {
            return "No traceback of the forward call: the op was recorded with anomaly mode off; enable it before "
                    + "the forward pass to get one.";
        }
        StringBuilder sb = new StringBuilder("Traceback of forward call that caused the error:");
        for (StackTraceElement e : trace) {
            sb.append("\n\tat ").append(e);
        }
        return sb.toString();
    }

    /** The op's name as recorded in the graph ("log", "div"). */
    public String op() {
        return op;
    }

    /** True when the anomaly was found in a gradient during backward, false when in a forward output. */
    public boolean inBackward() {
        return gradientIndex >= 0;
    }

    /** Which of the op's inputs received the bad gradient, or -1 for a forward anomaly. */
    public int gradientIndex() {
        return gradientIndex;
    }

    /** The stack of the forward call that created the op (a copy), or null when it was not recorded. */
    public StackTraceElement[] forwardTrace() {
        return forwardTrace == null ? null : forwardTrace.clone();
    }
}
