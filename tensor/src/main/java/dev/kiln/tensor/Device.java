package dev.kiln.tensor;

import dev.kiln.tensor.backend.Backend;
import dev.kiln.tensor.backend.Backends;

/**
 * Where a tensor's storage lives and whose kernels run its ops. Immutable value type.
 *
 * <p>Every op reaches its kernels through {@link #backend()}, so a new device (the CUDA backend of a
 * later step) plugs in by registering a {@link Backend} without changing any op's API.
 */
public record Device(Type type, int index) {
    /**
     * Kinds of device. {@code PRIVATE_USE} (torch's PrivateUse1) is for a backend that lives
     * outside Kiln's own modules, such as the test suite's checked device that proves no code
     * reaches past {@link Backend} into CPU memory.
     */
    public enum Type { CPU, CUDA, PRIVATE_USE }

    /** The host CPU. */
    public static final Device CPU = new Device(Type.CPU, 0);

    public Device {
        if (type == null) {
            throw new IllegalArgumentException("device: type must not be null");
        }
        if (index < 0) {
            throw new IllegalArgumentException("device: index must be >= 0, got " + index);
        }
    }

    /** CUDA device number {@code index}. */
    public static Device cuda(int index) {
        return new Device(Type.CUDA, index);
    }

    /** The backend whose kernels run on this device. */
    public Backend backend() {
        return Backends.forDevice(this);
    }

    /** Host threads this device's kernels may use (the CPU's kernel pool; 1 for a device that runs kernels itself). */
    public int threads() {
        return backend().threads();
    }

    /**
     * Sets this device's kernel threads (for the CPU: clamped to [1, cores]; the default is every
     * core, or {@code -Dkiln.threads}) and returns the previous value, for restoring it.
     */
    public int setThreads(int threads) {
        return backend().setThreads(threads);
    }

    @Override
    public String toString() {
        return switch (type) {
            case CPU -> "cpu";
            case CUDA -> "cuda:" + index;
            case PRIVATE_USE -> "private:" + index;
        };
    }
}
