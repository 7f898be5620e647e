package dev.kiln.tensor;

/**
 * A per-thread setting changed by scopes (the creation device, autocast, no-grad, anomaly mode):
 * {@link #enter} sets a value and returns the {@link Scope} that puts back the value it replaced.
 * Scopes nest; closing one twice is a no-op; closing it on another thread than the one that
 * entered is an error, because the value it restores belongs to that thread.
 *
 * @param <T> the setting's type; null means "not set" and reads as the default
 */
public final class ThreadSetting<T> {
    private final String name;
    private final T defaultValue;
    private final ThreadLocal<T> current = new ThreadLocal<>();

    /** {@code name} appears in errors ("DeviceScope: closed on thread ..."). */
    public ThreadSetting(String name, T defaultValue) {
        this.name = name;
        this.defaultValue = defaultValue;
    }

    /** This thread's value, or the default when no scope set one. */
    public T get() {
        T v = current.get();
        return v == null ? defaultValue : v;
    }

    /** Sets this thread's value without a scope (null: back to the default). */
    public void set(T value) {
        if (value == null) {
            current.remove();
        } else {
            current.set(value);
        }
    }

    /** Sets this thread's value until the returned scope is closed (null: the default). */
    public Scope enter(T value) {
        Scope scope = new Scope(current.get());
        set(value);
        return scope;
    }

    /** Restores the value a {@link #enter} replaced. */
    public final class Scope implements AutoCloseable {
        private final T previous;
        private final Thread owner = Thread.currentThread();
        private boolean closed;

        private Scope(T previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException(name + ": closed on thread " + Thread.currentThread().getName()
                        + " but entered on " + owner.getName());
            }
            closed = true;
            set(previous);
        }
    }
}
