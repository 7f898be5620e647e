package dev.kiln.optim;

import dev.kiln.autograd.Var;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameters that share hyper-parameters (torch's param_groups): e.g. weights with weight decay
 * and biases/norms without, or one group with its own betas or momentum.
 *
 * <p>A group holds the hyper-parameters it sets itself, under torch's names ({@link #LR},
 * {@link #MOMENTUM}, ...; Adam's {@code betas} pair is stored as {@link #BETA1} and
 * {@link #BETA2}). When an optimizer is built it fills in every hyper-parameter the group left out
 * with the optimizer's default (torch's {@code param_group.setdefault}), and refuses names it does
 * not have; from then on the group holds the value of each one. Values stay mutable, so schedules
 * (lr, and momentum or beta1 for one-cycle) and callers can change them between steps.
 *
 * <pre>{@code
 * Optimizer opt = Adam.builder(new ParamGroup(weights).weightDecay(0.1),
 *                              new ParamGroup(biases).betas(0.8, 0.99))
 *         .lr(3e-4).build();
 * }</pre>
 */
public final class ParamGroup {
    public static final String LR = "lr";
    public static final String WEIGHT_DECAY = "weight_decay";
    public static final String MAXIMIZE = "maximize";
    public static final String MOMENTUM = "momentum";
    public static final String DAMPENING = "dampening";
    public static final String NESTEROV = "nesterov";
    public static final String BETA1 = "beta1";
    public static final String BETA2 = "beta2";
    public static final String EPS = "eps";
    public static final String AMSGRAD = "amsgrad";
    public static final String ALPHA = "alpha";
    public static final String CENTERED = "centered";
    public static final String LR_DECAY = "lr_decay";
    public static final String INITIAL_ACCUMULATOR_VALUE = "initial_accumulator_value";

    private final List<Var> params;
    /** Hyper-parameters by torch name: Double or Boolean values, in the order they were set. */
    private final Map<String, Object> options = new LinkedHashMap<>();

    /** A group whose hyper-parameters all come from the optimizer's defaults until set here. */
    public ParamGroup(List<Var> params) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("ParamGroup: a group needs at least one parameter, got " + params);
        }
        for (int i = 0; i < params.size(); i++) {
            Var p = params.get(i);
            if (p == null || !p.isLeaf() || !p.requiresGrad()) {
                throw new IllegalArgumentException("ParamGroup: parameter " + i + " (" + p
                        + ") must be a leaf that requires a gradient");
            }
        }
        this.params = List.copyOf(params);
    }

    /** A group with its own lr and weight decay (the other hyper-parameters from the optimizer). */
    public ParamGroup(List<Var> params, double lr, double weightDecay) {
        this(params);
        setLr(lr);
        setWeightDecay(weightDecay);
    }

    static void checkNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite value >= 0, got " + v);
        }
    }

    static void checkBeta(String name, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
        }
    }

    public List<Var> params() {
        return params;
    }

    // ------------------------------------------------------------------ typed setters (fluent)

    public ParamGroup lr(double lr) {
        setLr(lr);
        return this;
    }

    public ParamGroup weightDecay(double weightDecay) {
        setWeightDecay(weightDecay);
        return this;
    }

    public ParamGroup maximize(boolean maximize) {
        return set(MAXIMIZE, maximize);
    }

    public ParamGroup momentum(double momentum) {
        return set(MOMENTUM, momentum);
    }

    public ParamGroup dampening(double dampening) {
        return set(DAMPENING, dampening);
    }

    public ParamGroup nesterov(boolean nesterov) {
        return set(NESTEROV, nesterov);
    }

    /** Adam's and AdamW's {@code betas = (beta1, beta2)}. */
    public ParamGroup betas(double beta1, double beta2) {
        checkBeta("betas[0]", beta1);
        checkBeta("betas[1]", beta2);
        set(BETA1, beta1);
        return set(BETA2, beta2);
    }

    public ParamGroup eps(double eps) {
        return set(EPS, eps);
    }

    public ParamGroup amsgrad(boolean amsgrad) {
        return set(AMSGRAD, amsgrad);
    }

    public ParamGroup alpha(double alpha) {
        return set(ALPHA, alpha);
    }

    public ParamGroup centered(boolean centered) {
        return set(CENTERED, centered);
    }

    public ParamGroup lrDecay(double lrDecay) {
        return set(LR_DECAY, lrDecay);
    }

    public ParamGroup initialAccumulatorValue(double value) {
        return set(INITIAL_ACCUMULATOR_VALUE, value);
    }

    // ------------------------------------------------------------------ generic access

    /** Sets a numeric hyper-parameter (finite, >= 0: every numeric torch hyper-parameter is). */
    public ParamGroup set(String name, double value) {
        checkNonNegative("ParamGroup '" + name + "'", value);
        if (name.equals(BETA1) || name.equals(BETA2)) {
            checkBeta("ParamGroup '" + name + "'", value);
        }
        options.put(name, value);
        return this;
    }

    public ParamGroup set(String name, boolean value) {
        options.put(name, value);
        return this;
    }

    /** Whether the group holds {@code name} (after construction of its optimizer: whether the optimizer has it). */
    public boolean has(String name) {
        return options.containsKey(name);
    }

    public double getDouble(String name) {
        Object v = options.get(name);
        if (v instanceof Double d) {
            return d;
        }
        throw new IllegalArgumentException("ParamGroup: no numeric hyper-parameter '" + name + "' (got " + v + "); the group has "
                + options);
    }

    public boolean getBoolean(String name) {
        Object v = options.get(name);
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException("ParamGroup: no boolean hyper-parameter '" + name + "' (got " + v + "); the group has "
                + options);
    }

    /** Every hyper-parameter of the group by name (Double or Boolean values), read-only. */
    public Map<String, Object> options() {
        return Collections.unmodifiableMap(options);
    }

    // ------------------------------------------------------------------ the two every optimizer has

    public double lr() {
        return getDouble(LR);
    }

    public void setLr(double lr) {
        checkNonNegative("lr", lr);
        options.put(LR, lr);
    }

    public double weightDecay() {
        return getDouble(WEIGHT_DECAY);
    }

    public void setWeightDecay(double weightDecay) {
        checkNonNegative("weightDecay", weightDecay);
        options.put(WEIGHT_DECAY, weightDecay);
    }

    /**
     * Fills in every default the group did not set and rejects names {@code defaults} lacks; the
     * optimizer's constructor calls this once per group.
     */
    void applyDefaults(String optimizer, int index, Map<String, Object> defaults) {
        for (Map.Entry<String, Object> e : options.entrySet()) {
            if (!defaults.containsKey(e.getKey())) {
                throw new IllegalArgumentException(optimizer + ": group " + index + " sets '" + e.getKey() + "', which "
                        + optimizer + " does not have; its hyper-parameters are " + defaults.keySet());
            }
            Object d = defaults.get(e.getKey());
            Class<?> expected = d == null ? Double.class : d.getClass(); // only the required lr has no default
            if (expected != e.getValue().getClass()) {
                throw new IllegalArgumentException(optimizer + ": group " + index + " sets '" + e.getKey() + "' to "
                        + e.getValue() + ", expected a " + expected.getSimpleName());
            }
        }
        for (Map.Entry<String, Object> e : defaults.entrySet()) {
            if (e.getValue() != null) {
                options.putIfAbsent(e.getKey(), e.getValue());
            } else if (!options.containsKey(e.getKey())) {
                throw new IllegalArgumentException(optimizer + ": '" + e.getKey() + "' is required (torch has no default)"
                        + " and group " + index + " does not set it");
            }
        }
    }

    @Override
    public String toString() {
        return "ParamGroup(" + params.size() + " params, " + options + ")";
    }
}
