package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A building block of a model (torch's {@code nn.Module}): it owns named parameters (leaf
 * {@link Var}s that require gradients), named buffers (tensors that are state but not trained,
 * such as BatchNorm's running mean) and named child modules, all in registration order.
 *
 * <p>Names compose with dots ({@code "blocks.0.attn.weight"}), which is the key format of
 * {@link #stateDict()} and of safetensors checkpoints, so a state dict written by PyTorch for the
 * same architecture uses the same keys.
 *
 * <p>Not thread-safe: build a model on one thread; train it on one thread per replica.
 */
public abstract class Module {
    private final Map<String, Var> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    // ---------------------------------------------------------------- registration

    /** Registers a trainable parameter: a leaf Var with {@code requiresGrad} built from {@code value}. */
    protected final Var registerParameter(String name, Tensor value) {
        checkName(name);
        Var p = Var.leaf(value, true);
        parameters.put(name, p);
        return p;
    }

    /** Registers a buffer: module state that is saved and loaded but not trained. */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    /** Registers a child module under {@code name}. */
    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        if (module == null) {
            throw new IllegalArgumentException("registerModule: module '" + name + "' is null");
        }
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": a parameter, buffer or module name must be "
                    + "non-empty and contain no '.', got '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": the name '" + name + "' is already registered");
        }
    }

    /** Replaces the value of a registered buffer (for modules that update state, e.g. running statistics). */
    protected final void setBuffer(String name, Tensor value) {
        Tensor old = buffers.get(name);
        if (old == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no buffer named '" + name + "'");
        }
        buffers.put(name, value);
    }

    // ---------------------------------------------------------------- traversal

    /** Every parameter of this module and its descendants, by dotted name, in registration order. */
    public final Map<String, Var> namedParameters() {
        Map<String, Var> out = new LinkedHashMap<>();
        collect("", out, null);
        return out;
    }

    /** Every buffer of this module and its descendants, by dotted name. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", null, out);
        return out;
    }

    private void collect(String prefix, Map<String, Var> params, Map<String, Tensor> bufs) {
        if (params != null) {
            parameters.forEach((n, p) -> params.put(prefix + n, p));
        }
        if (bufs != null) {
            buffers.forEach((n, b) -> bufs.put(prefix + n, b));
        }
        children.forEach((n, m) -> m.collect(prefix + n + ".", params, bufs));
    }

    /** The parameters in {@link #namedParameters()} order (what an optimizer takes). */
    public final List<Var> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The direct children, by name. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Total number of parameter elements. */
    public final long parameterCount() {
        long n = 0;
        for (Var p : namedParameters().values()) {
            n += p.value().numel();
        }
        return n;
    }

    /** Calls {@code fn} on every descendant, children before parents, then on this module (torch's apply). */
    public final Module apply(Consumer<Module> fn) {
        for (Module m : children.values()) {
            m.apply(fn);
        }
        fn.accept(this);
        return this;
    }

    /** Training mode for this module and all descendants (dropout active, batch statistics used). */
    public final Module train() {
        return setTraining(true);
    }

    /** Evaluation mode for this module and all descendants. */
    public final Module eval() {
        return setTraining(false);
    }

    private Module setTraining(boolean mode) {
        apply(m -> m.training = mode);
        return this;
    }

    public final boolean isTraining() {
        return training;
    }

    /** Drops the accumulated gradient of every parameter. */
    public final void zeroGrad() {
        for (Var p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    // ---------------------------------------------------------------- state dict

    /**
     * Parameters and buffers of the whole tree, by dotted name (the tensors themselves, not copies),
     * in torch's order: each module's parameters, then its buffers, then its children's entries.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        parameters.forEach((n, p) -> out.put(prefix + n, p.value()));
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        children.forEach((n, m) -> m.collectState(prefix + n + ".", out));
    }

    /**
     * {@link #stateDict()} with {@code prefix} in front of every key (torch's
     * {@code state_dict(prefix='encoder.')}), e.g. to save a sub-module under the name it has in a
     * bigger model. {@link StateDicts#stripPrefix} undoes it.
     */
    public final Map<String, Tensor> stateDict(String prefix) {
        return StateDicts.addPrefix(stateDict(), prefix);
    }

    /**
     * Copies {@code state} into this module's parameters and buffers, in place (optimizers keep
     * their references), as torch's {@code load_state_dict}. With {@code strict}, the keys must
     * match exactly, and missing and unexpected keys are reported together; without it they are
     * only returned. In every mode a shape mismatch and a null key or value are errors that name the
     * key, and nothing is modified unless every check passes. To load a checkpoint whose keys carry
     * a prefix (a wrapper's {@code module.}), pass it through {@link StateDicts#stripPrefix} first.
     *
     * @return the keys this module expected but {@code state} lacked, and the unexpected keys
     *     (both empty when strict succeeds)
     * @throws IllegalArgumentException listing every problem found
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        String where = "loadStateDict (" + getClass().getSimpleName() + "): ";
        if (state == null) {
            throw new IllegalArgumentException(where + "state must not be null");
        }
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> nullValues = new ArrayList<>();
        for (String k : own.keySet()) {
            if (!state.containsKey(k)) {
                missing.add(k);
            }
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException(where + "the state dict has a null key");
            }
            if (e.getValue() == null) {
                nullValues.add(e.getKey());
            }
            if (!own.containsKey(e.getKey())) {
                unexpected.add(e.getKey());
            }
        }
        List<String> problems = new ArrayList<>();
        if (!nullValues.isEmpty()) {
            problems.add("null tensors for keys " + nullValues);
        }
        if (strict && !missing.isEmpty()) {
            problems.add("missing keys " + missing);
        }
        if (strict && !unexpected.isEmpty()) {
            problems.add("unexpected keys " + unexpected);
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null && !src.shape().equals(e.getValue().shape())) {
                problems.add("'" + e.getKey() + "' has shape " + src.shape() + " in the state dict but "
                        + e.getValue().shape() + " in the model");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(where + String.join("; ", problems));
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null) {
                e.getValue().copyFrom(src); // converts the dtype when the checkpoint's differs
            }
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    /** What {@link #loadStateDict} did not match. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {}

    // ---------------------------------------------------------------- printing

    /** The one-line settings shown in {@link #toString()}, e.g. {@code in_features=4, out_features=2, bias=true}. */
    protected String extraRepr() {
        return "";
    }

    /** A tree like PyTorch's: {@code Name(extra)} or {@code Name(\n  (child): ...\n)}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(');
        String extra = extraRepr();
        if (children.isEmpty()) {
            return sb.append(extra).append(')').toString();
        }
        sb.append('\n');
        if (!extra.isEmpty()) {
            sb.append("  ").append(extra).append('\n');
        }
        for (Map.Entry<String, Module> c : children.entrySet()) {
            String child = c.getValue().toString().replace("\n", "\n  ");
            sb.append("  (").append(c.getKey()).append("): ").append(child).append('\n');
        }
        return sb.append(')').toString();
    }
}
