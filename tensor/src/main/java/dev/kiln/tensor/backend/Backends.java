package dev.kiln.tensor.backend;

import dev.kiln.tensor.Device;
import dev.kiln.tensor.cpu.CpuBackend;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Which backend serves which device. The CPU backend is built in; others register themselves. */
public final class Backends {
    private static final Map<Device, Backend> BACKENDS = new ConcurrentHashMap<>();

    static {
        BACKENDS.put(Device.CPU, CpuBackend.INSTANCE);
    }

    private Backends() {}

    /** Makes {@code backend} serve its device (the CUDA backend calls this when it loads). */
    public static void register(Backend backend) {
        if (backend.device().equals(Device.CPU)) {
            throw new IllegalArgumentException("Backends.register: the CPU backend is built in and cannot be replaced");
        }
        BACKENDS.put(backend.device(), backend);
    }

    /** @throws IllegalStateException naming the device when no backend serves it */
    public static Backend forDevice(Device device) {
        if (device.equals(Device.CPU)) {
            return CpuBackend.INSTANCE; // every op asks, several times: skip the map (5% of a small-tensor LSTM step)
        }
        Backend b = BACKENDS.get(device);
        if (b == null) {
            throw new IllegalStateException("no backend for device " + device
                    + " (registered: " + BACKENDS.keySet() + "); the CUDA backend is not available in this build");
        }
        return b;
    }
}
