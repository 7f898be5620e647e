package dev.kiln.tensor;

/**
 * The device that creation ops ({@link Tensor#zeros}, {@link Tensor#fromArray},
 * {@link Tensor#randn}, ...) allocate on, per thread (torch's {@code with torch.device(...)}):
 * the CPU unless a scope says otherwise. Build a model and run its steps inside
 * {@code try (DeviceScope _ = DeviceScope.enter(device)) { ... }} and every parameter, input and
 * temporary lands on that device. Scopes nest; closing one restores the device that was current
 * when it was entered. Ops on existing tensors always run where their inputs are, scope or not.
 */
public final class DeviceScope implements AutoCloseable {
    private static final ThreadSetting<Device> CURRENT = new ThreadSetting<>("DeviceScope", Device.CPU);

    private final ThreadSetting<Device>.Scope scope;

    private DeviceScope(Device device) {
        scope = CURRENT.enter(device);
    }

    /** Makes {@code device} the creation device of this thread until the scope closes. */
    public static DeviceScope enter(Device device) {
        if (device == null) {
            throw new IllegalArgumentException("DeviceScope.enter: device must not be null");
        }
        device.backend(); // fail now, naming the device, when no backend serves it
        return new DeviceScope(device);
    }

    /** The creation device of this thread. */
    public static Device current() {
        return CURRENT.get();
    }

    @Override
    public void close() {
        scope.close();
    }
}
