package dev.kiln.optim.amp;

import dev.kiln.autograd.Var;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.TrainingOps;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dynamic loss scaling for F16 training (torch.cuda.amp.GradScaler): F16 gradients below ~6e-8
 * flush to zero, so the loss is multiplied by a large scale before backward and the gradients
 * divided by it before the step. When any gradient comes out inf or NaN the scale was too large:
 * the step is skipped (parameters and optimizer state untouched) and the scale is multiplied by
 * {@code backoffFactor}; after {@code growthInterval} clean steps in a row it is multiplied by
 * {@code growthFactor}.
 *
 * <pre>{@code
 * scaler.scale(loss).backward();
 * scaler.unscale(optimizer);            // optional: before gradient clipping
 * GradClip.clipGradNorm(params, 1.0);
 * scaler.step(optimizer);               // skipped when a gradient is not finite
 * scaler.update();
 * optimizer.zeroGrad();
 * }</pre>
 */
public final class DynamicLossScaler {
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private double scale;
    private int growthTracker;
    private boolean unscaled;
    private boolean foundInf;
    private long skippedSteps;

    /** torch's defaults: initial scale 2^16, growth 2, backoff 0.5, growth interval 2000. */
    public DynamicLossScaler() {
        this(65536.0, 2.0, 0.5, 2000);
    }

    public DynamicLossScaler(double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        if (!(initScale > 0) || Double.isInfinite(initScale)) {
            throw new IllegalArgumentException("DynamicLossScaler: initScale must be positive and finite, got " + initScale);
        }
        if (!(growthFactor > 1)) {
            throw new IllegalArgumentException("DynamicLossScaler: growthFactor must be > 1, got " + growthFactor);
        }
        if (!(backoffFactor > 0 && backoffFactor < 1)) {
            throw new IllegalArgumentException("DynamicLossScaler: backoffFactor must be in (0, 1), got " + backoffFactor);
        }
        if (growthInterval < 1) {
            throw new IllegalArgumentException("DynamicLossScaler: growthInterval must be >= 1, got " + growthInterval);
        }
        this.scale = initScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** The loss multiplied by the current scale (backward from this). */
    public Var scale(Var loss) {
        return loss.mul(scale);
    }

    /**
     * Divides every gradient of the optimizer's parameters by the scale, in place, and records
     * whether any is inf or NaN. Idempotent until the next {@link #update()}.
     */
    public void unscale(Optimizer optimizer) {
        if (unscaled) {
            return;
        }
        double inv = 1.0 / scale;
        boolean bad = false;
        // One flag per device, read once at the end: the gradients themselves never leave their device.
        Map<Device, Tensor> flags = new LinkedHashMap<>();
        try {
            for (ParamGroup group : optimizer.paramGroups()) {
                for (Var p : group.params()) {
                    Tensor g = p.grad();
                    if (g == null) {
                        continue;
                    }
                    Tensor flag = flags.computeIfAbsent(g.device(), d -> {
                        try (DeviceScope _ = DeviceScope.enter(d)) {
                            return TensorScope.escape(Tensor.zeros(DType.F32, 1));
                        }
                    });
                    TrainingOps.scaleAndCheckFinite(g, inv, flag);
                }
            }
            for (Tensor flag : flags.values()) {
                bad |= flag.item() != 0;
            }
        } finally {
            flags.values().forEach(Tensor::close);
        }
        foundInf = bad;
        unscaled = true;
    }

    /** Unscales if needed, then steps the optimizer unless a gradient was inf/NaN. Returns whether it stepped. */
    public boolean step(Optimizer optimizer) {
        unscale(optimizer);
        if (foundInf) {
            skippedSteps++;
            return false;
        }
        optimizer.step();
        return true;
    }

    /** Adjusts the scale after a step: back off after an overflow, grow after enough clean steps. */
    public void update() {
        if (!unscaled) {
            throw new IllegalStateException("DynamicLossScaler.update: call step(optimizer) (or unscale) first");
        }
        if (foundInf) {
            scale *= backoffFactor;
            growthTracker = 0;
        } else if (++growthTracker >= growthInterval) {
            scale *= growthFactor;
            growthTracker = 0;
        }
        unscaled = false;
        foundInf = false;
    }

    public double currentScale() {
        return scale;
    }

    /** Steps skipped because of inf/NaN gradients so far. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /** The scaler's state, for checkpoints. */
    public Map<String, String> state() {
        return Map.of("scale", Double.toString(scale), "growth_tracker", Integer.toString(growthTracker),
                "skipped_steps", Long.toString(skippedSteps));
    }

    /** Restores {@link #state()}. */
    public void restore(Map<String, String> state) {
        try {
            scale = Double.parseDouble(state.get("scale"));
            growthTracker = Integer.parseInt(state.get("growth_tracker"));
            skippedSteps = Long.parseLong(state.get("skipped_steps"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("DynamicLossScaler.restore: bad state " + state, e);
        }
        unscaled = false;
        foundInf = false;
    }
}
