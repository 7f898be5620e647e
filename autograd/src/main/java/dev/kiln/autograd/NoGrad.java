package dev.kiln.autograd;

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
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final Thread owner = Thread.currentThread();
    private boolean closed;

    private NoGrad() {
        DEPTH.get()[0]++;
    }

    /** Disables graph recording on this thread until the returned scope is closed. */
    public static NoGrad enter() {
        return new NoGrad();
    }

    /** True when ops on this thread record a graph (no open {@link NoGrad} scope). */
    public static boolean isGradEnabled() {
        return DEPTH.get()[0] == 0;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("NoGrad: closed on thread " + Thread.currentThread().getName()
                    + " but entered on " + owner.getName());
        }
        closed = true;
        DEPTH.get()[0]--;
    }
}
