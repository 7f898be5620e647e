package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of every optimizer (torch.optim.Optimizer): parameter groups, per-parameter state tensors,
 * {@link #step()} over every parameter that has a gradient, {@link #zeroGrad}, and a state dict
 * for checkpoints.
 *
 * <p>State tensors (momentum buffers, moment estimates) are F32 and contiguous, created on the
 * parameter's device on its first step; they escape any {@link TensorScope} a training step runs in. Parameters
 * are updated in place, so models and other holders of the parameter see the new values.
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

    protected Optimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": needs at least one parameter group");
        }
        Map<Var, Integer> seen = new IdentityHashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            for (Var p : groups.get(g).params()) {
                Integer before = seen.put(p, g);
                if (before != null) {
                    throw new IllegalArgumentException(getClass().getSimpleName() + ": a parameter " + p
                            + " appears in groups " + before + " and " + g + "; each parameter may belong to one group only");
                }
            }
        }
        this.groups = List.copyOf(groups);
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

    /** Groups every parameter into one group with the given lr and weight decay. */
    protected static List<ParamGroup> single(List<Var> params, double lr, double weightDecay) {
        return List.of(new ParamGroup(params, lr, weightDecay));
    }
}
