package dev.kiln.tensor.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A flat buffer of {@link #length()} elements of one dtype on one device, shared by a tensor and
 * all of its views.
 *
 * <p>Lifetime is reference counted: a new storage holds one reference, each view {@link #retain()}s
 * it, and each tensor's {@code close()} {@link #release()}s it. When the count reaches zero the
 * buffer goes back to its device's pool, so a training loop reuses the same buffers step after step
 * instead of feeding the garbage collector. Storage that is never released is simply garbage
 * collected (CPU) — releasing is an optimisation and a guarantee of prompt reuse, never a
 * requirement for correctness.
 */
public abstract class Storage {
    private final DType dtype;
    private final int length;
    private final AtomicInteger refs = new AtomicInteger(1);
    /** Bumped by every in-place write through the public API (torch's version counter). */
    private int version;

    protected Storage(DType dtype, int length) {
        this.dtype = dtype;
        this.length = length;
    }

    public final DType dtype() {
        return dtype;
    }

    /** Number of elements. */
    public final int length() {
        return length;
    }

    public abstract Device device();

    /** Adds a reference (a new view shares this storage). */
    public final void retain() {
        int before = refs.getAndIncrement();
        if (before <= 0) {
            refs.getAndDecrement();
            throw new IllegalStateException("storage: retain after the buffer was freed (use after close)");
        }
    }

    /** Drops a reference; the last one returns the buffer to its pool. */
    public final void release() {
        int after = refs.decrementAndGet();
        if (after == 0) {
            free();
        } else if (after < 0) {
            throw new IllegalStateException("storage: released more times than retained");
        }
    }

    /**
     * How many times the data was modified in place through a public in-place op (shared by all
     * views). Autograd records it when an op saves a tensor and refuses to run that op's backward
     * if it changed, instead of silently computing a wrong gradient.
     */
    public final int version() {
        return version;
    }

    /** Records one in-place modification (see {@link #version()}). */
    public final void bumpVersion() {
        version++;
    }

    /** True once the last reference was released. */
    public final boolean isFreed() {
        return refs.get() <= 0;
    }

    /** Returns the buffer to its pool. Called exactly once. */
    protected abstract void free();
}
