package dev.kiln.tensor;

import java.util.ArrayList;

/**
 * An arena for tensors: every tensor created on this thread while the scope is the innermost open
 * one is closed when the scope closes, returning its buffer to the pool. Keep results with
 * {@link #keep}, which hands them to the enclosing scope (or to no scope: then the caller owns them).
 *
 * <pre>{@code
 * Tensor loss;
 * try (TensorScope scope = TensorScope.open()) {
 *     Tensor h = x.matmul(w).add(b).relu();     // temporaries: freed at the end of the block
 *     loss = scope.keep(h.sum());                // survives the block
 * }
 * }</pre>
 *
 * <p>Scopes nest and must be closed on the thread that opened them, innermost first
 * (try-with-resources does both). Tensors created outside any scope are owned by the caller:
 * {@code close()} them, or leave them to the garbage collector.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final TensorScope parent;
    private final Thread owner = Thread.currentThread();
    private final ArrayList<Tensor> owned = new ArrayList<>();
    private boolean closed;
    /** Size at which {@link #adopt} next drops already-closed tensors from {@link #owned}. */
    private int compactAt = 1024;

    private TensorScope(TensorScope parent) {
        this.parent = parent;
    }

    /** Opens a scope nested in the current one. */
    public static TensorScope open() {
        TensorScope s = new TensorScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    static void adopt(Tensor t) {
        TensorScope s = CURRENT.get();
        if (s != null) {
            if (s.owned.size() >= s.compactAt) {
                // A long-lived scope would otherwise hold every temporary ever closed inside it;
                // compacting when the list doubles keeps adoption amortised O(1).
                s.owned.removeIf(Tensor::isClosed);
                s.compactAt = Math.max(1024, 2 * s.owned.size());
            }
            s.owned.add(t);
        }
    }

    /** Moves {@code t} out of this scope to the enclosing one (or to the caller when outermost). */
    public <T extends Tensor> T keep(T t) {
        if (owned.remove(t) && parent != null) {
            parent.owned.add(t);
        }
        return t;
    }

    /**
     * Takes {@code t} out of whichever open scope on this thread owns it, so no scope closes it:
     * the caller owns it from now on. For tensors that outlive every step by design, such as a
     * parameter's accumulated gradient or optimizer state created inside a training step's scope.
     */
    public static <T extends Tensor> T escape(T t) {
        for (TensorScope s = CURRENT.get(); s != null; s = s.parent) {
            if (s.owned.remove(t)) {
                break;
            }
        }
        return t;
    }

    /** Number of tensors this scope will close. */
    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("TensorScope: closed on thread " + Thread.currentThread().getName()
                    + " but opened on " + owner.getName());
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("TensorScope: scopes must be closed innermost first");
        }
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
        if (parent == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(parent);
        }
    }
}
