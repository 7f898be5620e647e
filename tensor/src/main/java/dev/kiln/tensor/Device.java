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
    /** Kinds of device. */
    public enum Type { CPU, CUDA }

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

    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}
