package dev.kiln.autograd;

import dev.kiln.tensor.ThreadSetting;

/**
 * A scope in which ops record no graph (torch.no_grad): results are plain values with
 * {@code requiresGrad() == false}, so inference and optimizer updates pin no saved tensors.
 *
 * <pre>{@code
 * try (NoGrad ng = NoGrad.enter()) {
 *     Var logits = model.forward(x);   // no graph
 * }
 * }</pre>
 *
 * <p>Per thread; scopes nest. Close on the thread that entered (try-with-resources does).
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadSetting<Boolean> GRAD_ENABLED = new ThreadSetting<>("NoGrad", Boolean.TRUE);

    private final ThreadSetting<Boolean>.Scope scope;

    private NoGrad() {
        scope = GRAD_ENABLED.enter(Boolean.FALSE);
    }

    /** Disables graph recording on this thread until the returned scope is closed. */
    public static NoGrad enter() {
        return new NoGrad();
    }

    /** True when ops on this thread record a graph (no open {@link NoGrad} scope). */
    public static boolean isGradEnabled() {
        return GRAD_ENABLED.get();
    }

    @Override
    public void close() {
        scope.close();
    }
}
