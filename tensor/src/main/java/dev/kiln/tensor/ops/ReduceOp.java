package dev.kiln.tensor.ops;

/** Reductions over a set of dimensions. ARGMAX/ARGMIN take exactly one dimension and give I64. */
public enum ReduceOp {
    SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN, VAR, LOGSUMEXP;

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
