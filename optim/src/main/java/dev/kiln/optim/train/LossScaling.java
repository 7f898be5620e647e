package dev.kiln.optim.train;

import dev.kiln.autograd.Var;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.amp.DynamicLossScaler;

/**
 * The hook through which a {@link Trainer} drives loss scaling for half-precision training
 * (torch's GradScaler protocol). Per optimizer step the trainer calls, in order:
 * {@link #scale} on every micro-batch's (already 1/N-weighted) loss before its backward,
 * {@link #unscale} once after the last backward (before clipping, so the clip threshold applies
 * to true gradients), {@link #step} instead of {@code optimizer.step()}, then {@link #update}.
 *
 * <p>An implementation keeps its own state (the current scale, its growth counter); put it in a
 * checkpoint's extra map ({@code DynamicLossScaler.state()} is such a map) to resume it.
 */
public interface LossScaling {
    /** The loss to backward from: {@code loss} times the current scale. */
    Var scale(Var loss);

    /** Divides every gradient of {@code optimizer}'s parameters by the scale, in place, noting any inf/NaN. */
    void unscale(Optimizer optimizer);

    /** Steps {@code optimizer} unless a gradient was inf/NaN; returns whether it stepped. */
    boolean step(Optimizer optimizer);

    /** Adjusts the scale after a step (back off after an overflow, grow after clean steps). */
    void update();

    /** Adapts the dynamic loss scaler of {@code dev.kiln.optim.amp}. */
    static LossScaling of(DynamicLossScaler scaler) {
        return new LossScaling() {
            @Override
            public Var scale(Var loss) {
                return scaler.scale(loss);
            }

            @Override
            public void unscale(Optimizer optimizer) {
                scaler.unscale(optimizer);
            }

            @Override
            public boolean step(Optimizer optimizer) {
                return scaler.step(optimizer);
            }

            @Override
            public void update() {
                scaler.update();
            }
        };
    }
}
