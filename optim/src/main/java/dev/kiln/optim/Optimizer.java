package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Base of every optimizer (torch.optim.Optimizer): parameter groups, per-parameter state tensors,
 * {@link #step()} over every parameter that has a gradient, {@link #zeroGrad}, and a state dict
 * for checkpoints.
 *
 * <p>State tensors (momentum buffers, moment estimates) are F32 and contiguous, created on the
 * parameter's device on its first step; they escape any {@link TensorScope} a training step runs in. Parameters
 * are updated in place, so models and other holders of the parameter see the new values.
 *
 * <p>Hyper-parameters live in the groups ({@link ParamGroup}): each optimizer's builder sets the
 * defaults (torch's), a group overrides any of them, and {@link #defaults()} shows what a group
 * that sets nothing gets. Every optimizer here has torch's {@code maximize}: the update then
 * follows the negated gradient.
 */
public abstract class Optimizer {
    private final List<ParamGroup> groups;
    /** Per parameter: its state tensors by name ("exp_avg", ...), and its own step count. */
    private final Map<Var, ParamState> state = new IdentityHashMap<>();

    /** The state of one parameter. */
    protected static final class ParamState {
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
        long step;

        /** A state tensor, created as zeros of the parameter's shape on first use. */
        public Tensor tensor(String name, Var p) {
            return tensors.computeIfAbsent(name, n -> {
                try (DeviceScope _ = DeviceScope.enter(p.value().device())) {
                    return TensorScope.escape(Tensor.zeros(DType.F32, p.value().shape().toArray()));
                }
            });
        }

        public boolean has(String name) {
            return tensors.containsKey(name);
        }

        public long step() {
            return step;
        }
    }

    private final Map<String, Object> defaults;
    private LrScheduler scheduler;

    /**
     * Takes the groups, fills in each one's missing hyper-parameters from {@code defaults} (a null
     * value marks one without a default that every group must set, like SGD's lr) and checks each
     * group with {@code checkGroup} (which receives the group and "Name group i" for messages).
     */
    protected Optimizer(List<ParamGroup> groups, Map<String, Object> defaults, BiConsumer<ParamGroup, String> checkGroup) {
        String name = getClass().getSimpleName();
        if (groups == null || groups.isEmpty()) {
            throw new IllegalArgumentException(name + ": needs at least one parameter group, got " + groups);
        }
        Map<Var, Integer> seen = new IdentityHashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            for (Var p : groups.get(g).params()) {
                Integer before = seen.put(p, g);
                if (before != null) {
                    throw new IllegalArgumentException(name + ": a parameter " + p
                            + " appears in groups " + before + " and " + g + "; each parameter may belong to one group only");
                }
            }
        }
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).applyDefaults(name, g, defaults);
            checkGroup.accept(groups.get(g), name + " group " + g);
        }
        this.groups = List.copyOf(groups);
        Map<String, Object> d = new LinkedHashMap<>(defaults);
        d.values().removeIf(v -> v == null);
        this.defaults = Collections.unmodifiableMap(d);
    }

    /** Records the one scheduler allowed to drive this optimizer's learning rates. */
    final void attachScheduler(LrScheduler s) {
        if (scheduler != null && scheduler != s) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " is already driven by an LrScheduler; a second"
                    + " one would overwrite its learning rates: combine schedules with LrSchedule.chain(...) or"
                    + " LrSchedule.sequential(...) in one LrScheduler");
        }
        scheduler = s;
    }

    /** The hyper-parameters a group that sets none gets (torch's {@code optimizer.defaults}). */
    public final Map<String, Object> defaults() {
        return defaults;
    }

    public final List<ParamGroup> paramGroups() {
        return groups;
    }

    /** Applies one update to every parameter with a gradient, then advances each one's step count. */
    public final void step() {
        try (TensorScope _ = TensorScope.open()) {
            for (ParamGroup group : groups) {
                for (Var p : group.params()) {
                    Tensor g = p.grad();
                    if (g == null) {
                        continue; // torch skips parameters without a gradient
                    }
                    if (group.has(ParamGroup.MAXIMIZE) && group.getBoolean(ParamGroup.MAXIMIZE)) {
                        g = g.neg(); // torch's maximize negates the gradient first; negation is exact, so bit-identical
                    }
                    ParamState s = state.computeIfAbsent(p, k -> new ParamState());
                    s.step++;
                    update(group, p, g, s);
                }
            }
        }
    }

    /**
     * Updates {@code p} in place from its gradient {@code g} (p's shape) and its state (whose
     * {@link ParamState#step()} was already incremented: 1 on the first update).
     */
    protected abstract void update(ParamGroup group, Var p, Tensor g, ParamState state);

    /**
     * Clears gradients: with {@code setToNone} they are dropped (the next backward allocates
     * fresh ones, torch's default); otherwise they are filled with zeros in place.
     */
    public final void zeroGrad(boolean setToNone) {
        for (ParamGroup group : groups) {
            for (Var p : group.params()) {
                if (setToNone) {
                    p.zeroGrad();
                } else if (p.grad() != null) {
                    p.grad().fill(0);
                }
            }
        }
    }

    public final void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * The optimizer's state by "group.param.name" (e.g. "0.3.exp_avg") and "group.param.step",
     * for checkpoints. Parameters are numbered in group order, as in torch's state dict.
     */
    public final Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            List<Var> ps = groups.get(gi).params();
            for (int pi = 0; pi < ps.size(); pi++) {
                ParamState s = state.get(ps.get(pi));
                if (s == null) {
                    continue;
                }
                for (Map.Entry<String, Tensor> e : s.tensors.entrySet()) {
                    out.put(gi + "." + pi + "." + e.getKey(), e.getValue());
                }
                out.put(gi + "." + pi + ".step", Tensor.scalar(s.step, DType.I64));
            }
        }
        return out;
    }

    /** Restores {@link #stateTensors()} (copies; shapes must match the parameters). */
    public final void loadStateTensors(Map<String, Tensor> saved) {
        List<String> problems = new ArrayList<>();
        Map<Var, ParamState> loaded = new IdentityHashMap<>();
        for (Map.Entry<String, Tensor> e : saved.entrySet()) {
            String[] parts = e.getKey().split("\\.", 3);
            int gi;
            int pi;
            try {
                gi = Integer.parseInt(parts[0]);
                pi = Integer.parseInt(parts[1]);
            } catch (RuntimeException ex) {
                problems.add("bad key '" + e.getKey() + "'");
                continue;
            }
            if (parts.length != 3 || gi < 0 || gi >= groups.size() || pi < 0 || pi >= groups.get(gi).params().size()) {
                problems.add("key '" + e.getKey() + "' names no parameter of this optimizer");
                continue;
            }
            Var p = groups.get(gi).params().get(pi);
            ParamState s = loaded.computeIfAbsent(p, k -> new ParamState());
            if (parts[2].equals("step")) {
                s.step = (long) e.getValue().item();
            } else if (!e.getValue().shape().equals(p.value().shape())) {
                problems.add("'" + e.getKey() + "' has shape " + e.getValue().shape() + " but the parameter has "
                        + p.value().shape());
            } else {
                try (Tensor onDevice = e.getValue().to(p.value().device()); Tensor f32 = onDevice.to(DType.F32)) {
                    s.tensors.put(parts[2], TensorScope.escape(f32.copy()));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadStateTensors: " + String.join("; ", problems));
        }
        state.clear();
        state.putAll(loaded);
    }

    /**
     * The shared part of every optimizer's builder: the groups, and the defaults they fall back
     * on, in torch's order, with lr, weight decay and maximize, which every optimizer has.
     */
    public abstract static class Builder<B extends Builder<B, O>, O extends Optimizer> {
        protected final List<ParamGroup> groups;
        protected final Map<String, Object> defaults = new LinkedHashMap<>();

        /** {@code lr} is torch's default learning rate, or NaN where torch requires one (SGD). */
        protected Builder(List<ParamGroup> groups, double lr) {
            if (groups == null || groups.isEmpty()) {
                throw new IllegalArgumentException("optimizer builder: needs at least one parameter group, got " + groups);
            }
            this.groups = List.copyOf(groups);
            defaults.put(ParamGroup.LR, Double.isNaN(lr) ? null : lr);
            defaults.put(ParamGroup.WEIGHT_DECAY, 0.0);
            defaults.put(ParamGroup.MAXIMIZE, false);
        }

        @SuppressWarnings("unchecked")
        protected final B self() {
            return (B) this;
        }

        protected final B put(String name, double value) {
            ParamGroup.checkNonNegative(name, value);
            defaults.put(name, value);
            return self();
        }

        protected final B put(String name, boolean value) {
            defaults.put(name, value);
            return self();
        }

        public final B lr(double lr) {
            return put(ParamGroup.LR, lr);
        }

        public final B weightDecay(double weightDecay) {
            return put(ParamGroup.WEIGHT_DECAY, weightDecay);
        }

        /** Follows the gradient up instead of down (torch's {@code maximize}). */
        public final B maximize(boolean maximize) {
            return put(ParamGroup.MAXIMIZE, maximize);
        }

        public abstract O build();
    }

    /** One group holding every parameter, with every hyper-parameter from the optimizer's defaults. */
    protected static List<ParamGroup> single(List<Var> params) {
        return List.of(new ParamGroup(params));
    }
}
