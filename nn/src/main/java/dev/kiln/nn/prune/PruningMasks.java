package dev.kiln.nn.prune;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * 0/1 masks over some of a model's parameters (1 keeps a weight, 0 removes it), as
 * {@link MagnitudePruning} computes them. The masks are not part of the forward pass (unlike
 * torch's {@code weight_orig * weight_mask} reparametrisation): {@link #apply()} zeroes the pruned
 * entries in place, so a pruned model saves, loads and evaluates as an ordinary model. While
 * fine-tuning, call {@link #apply()} after every optimizer step: momentum and weight decay would
 * otherwise move pruned weights off zero.
 *
 * <p>Not thread-safe; the masks are owned by this object and live as long as it does.
 */
public final class PruningMasks {
    private final Map<String, Var> parameters;
    private final Map<String, Tensor> masks;

    PruningMasks(Map<String, Var> parameters, Map<String, Tensor> masks) {
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.masks = Collections.unmodifiableMap(new LinkedHashMap<>(masks));
    }

    /** The masked parameters by name, in the order they were given. */
    public Map<String, Var> parameters() {
        return parameters;
    }

    /** Each parameter's mask, same shape and dtype as the parameter (1 keeps, 0 prunes). */
    public Map<String, Tensor> masks() {
        return masks;
    }

    /** Zeroes every pruned weight in place; returns this. */
    public PruningMasks apply() {
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            Tensor w = e.getValue().value();
            w.copyFrom(w.mul(masks.get(e.getKey())));
        }
        return this;
    }

    /** Zeroes the gradients of pruned weights in place (torch's masked-gradient variant); parameters without a gradient are skipped. */
    public PruningMasks maskGradients() {
        for (Map.Entry<String, Var> e : parameters.entrySet()) {
            Tensor g = e.getValue().grad();
            if (g != null) {
                g.copyFrom(g.mul(masks.get(e.getKey())));
            }
        }
        return this;
    }

    /** Entries the masks remove. */
    public long prunedCount() {
        long n = 0;
        for (Tensor m : masks.values()) {
            n += m.numel() - (long) m.sum().item();
        }
        return n;
    }

    /** Entries the masks cover. */
    public long totalCount() {
        long n = 0;
        for (Tensor m : masks.values()) {
            n += m.numel();
        }
        return n;
    }

    /** {@link #prunedCount()} / {@link #totalCount()}: the sparsity the masks impose. */
    public double sparsity() {
        long total = totalCount();
        return total == 0 ? 0 : (double) prunedCount() / total;
    }
}
