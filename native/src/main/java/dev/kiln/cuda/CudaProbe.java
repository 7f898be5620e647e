package dev.kiln.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Asks the CUDA driver, through the FFM API, whether a GPU is usable: loads {@code libcuda},
 * calls {@code cuInit(0)}, counts the devices and reads their names, compute capabilities and
 * memory. No CUDA toolkit or JNI library is needed, only the driver.
 *
 * <p>{@link #probe()} never throws for a missing or broken driver: every failure becomes an
 * unavailable {@link Result} whose {@link Result#reason() reason} says what went wrong (library
 * not found, the {@code cuInit} error, zero devices). Only JVM errors such as
 * {@link OutOfMemoryError} propagate.
 *
 * <p>The library is loaded into the global arena and never unloaded: {@code cuInit} starts driver
 * threads, and unmapping the library under them would crash the process. Loading and downcall
 * linking are restricted methods; run with {@code --enable-native-access=ALL-UNNAMED} to avoid
 * the JVM's warning. Thread-safe (stateless).
 */
public final class CudaProbe {
    /** Names tried in order: the driver's soname, then the development symlink. */
    private static final List<String> LIBRARY_NAMES = List.of("libcuda.so.1", "libcuda.so");
    private static final int CUDA_SUCCESS = 0;
    private static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    private static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    private static final int NAME_BYTES = 256;

    /** One visible device: ordinal, name ("NVIDIA H200"), compute capability and total memory. */
    public record Gpu(int ordinal, String name, int ccMajor, int ccMinor, long totalMemoryBytes) {
        public Gpu {
            Objects.requireNonNull(name, "name");
        }

        /** The nvcc architecture name, e.g. {@code sm_90}. */
        public String arch() {
            return "sm_" + ccMajor + ccMinor;
        }
    }

    /**
     * What the probe found. {@code available} is true iff the driver initialised and at least one
     * device is visible; then {@code reason} is empty. {@code driverVersion} is the driver's CUDA
     * version as the driver encodes it ({@code 13000} for 13.0), or 0 when it could not be read.
     */
    public record Result(boolean available, int driverVersion, List<Gpu> devices, String reason) {
        public Result {
            devices = List.copyOf(devices);
            Objects.requireNonNull(reason, "reason");
        }

        static Result unavailable(int driverVersion, String reason) {
            return new Result(false, driverVersion, List.of(), reason);
        }

        /** The device names, in ordinal order. */
        public List<String> deviceNames() {
            return devices.stream().map(Gpu::name).toList();
        }

        /** The driver's CUDA version as {@code major.minor}, or empty when unknown. */
        public Optional<String> driverVersionString() {
            return driverVersion <= 0 ? Optional.empty()
                    : Optional.of(driverVersion / 1000 + "." + driverVersion % 1000 / 10);
        }
    }

    private CudaProbe() {}

    /** Probes the driver now. Cheap after the first call (the driver stays loaded). */
    @SuppressWarnings("restricted") // loading libcuda is the point; see the class comment
    public static Result probe() {
        SymbolLookup lib = null;
        List<String> failures = new ArrayList<>();
        for (String name : LIBRARY_NAMES) {
            try {
                lib = SymbolLookup.libraryLookup(name, Arena.global());
                break;
            } catch (IllegalArgumentException e) {
                failures.add(name);
            }
        }
        if (lib == null) {
            return Result.unavailable(0, "no CUDA driver: cannot load " + String.join(" or ", failures));
        }
        try {
            return probe(new Driver(lib));
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            // A driver missing an entry point, a denied native access, a failing downcall.
            return Result.unavailable(0, "CUDA driver probe failed: " + t);
        }
    }

    private static Result probe(Driver cu) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment intOut = arena.allocate(JAVA_INT);
            int driverVersion = (int) cu.driverGetVersion.invokeExact(intOut) == CUDA_SUCCESS
                    ? intOut.get(JAVA_INT, 0) : 0;

            int rc = (int) cu.init.invokeExact(0);
            if (rc != CUDA_SUCCESS) {
                return Result.unavailable(driverVersion, "cuInit failed: " + cu.errorName(rc, arena));
            }
            rc = (int) cu.deviceGetCount.invokeExact(intOut);
            if (rc != CUDA_SUCCESS) {
                return Result.unavailable(driverVersion, "cuDeviceGetCount failed: " + cu.errorName(rc, arena));
            }
            int count = intOut.get(JAVA_INT, 0);
            if (count == 0) {
                return Result.unavailable(driverVersion, "the driver sees 0 CUDA devices");
            }

            MemorySegment nameBuf = arena.allocate(NAME_BYTES);
            MemorySegment longOut = arena.allocate(JAVA_LONG);
            List<Gpu> gpus = new ArrayList<>(count);
            for (int ordinal = 0; ordinal < count; ordinal++) {
                cu.check((int) cu.deviceGet.invokeExact(intOut, ordinal), "cuDeviceGet", arena);
                int device = intOut.get(JAVA_INT, 0);
                cu.check((int) cu.deviceGetName.invokeExact(nameBuf, NAME_BYTES, device), "cuDeviceGetName", arena);
                String name = nameBuf.getString(0);
                int major = cu.attribute(ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device, intOut, arena);
                int minor = cu.attribute(ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device, intOut, arena);
                cu.check((int) cu.deviceTotalMem.invokeExact(longOut, device), "cuDeviceTotalMem", arena);
                gpus.add(new Gpu(ordinal, name, major, minor, longOut.get(JAVA_LONG, 0)));
            }
            return new Result(true, driverVersion, gpus, "");
        }
    }

    /** Downcall handles for the few driver entry points the probe needs. */
    private static final class Driver {
        final MethodHandle init;
        final MethodHandle driverGetVersion;
        final MethodHandle deviceGetCount;
        final MethodHandle deviceGet;
        final MethodHandle deviceGetName;
        final MethodHandle deviceGetAttribute;
        final MethodHandle deviceTotalMem;
        final MethodHandle getErrorName;

        Driver(SymbolLookup lib) {
            init = bind(lib, "cuInit", JAVA_INT);
            driverGetVersion = bind(lib, "cuDriverGetVersion", ADDRESS);
            deviceGetCount = bind(lib, "cuDeviceGetCount", ADDRESS);
            deviceGet = bind(lib, "cuDeviceGet", ADDRESS, JAVA_INT);
            deviceGetName = bind(lib, "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
            deviceGetAttribute = bind(lib, "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
            // cuda.h maps cuDeviceTotalMem to the 64-bit _v2 entry point.
            deviceTotalMem = bind(lib, "cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
            getErrorName = bind(lib, "cuGetErrorName", JAVA_INT, ADDRESS);
        }

        /** Binds {@code CUresult name(args...)}; CUresult and CUdevice are C ints. */
        @SuppressWarnings("restricted")
        private static MethodHandle bind(SymbolLookup lib, String name, MemoryLayout... args) {
            MemorySegment symbol = lib.find(name)
                    .orElseThrow(() -> new IllegalStateException("libcuda has no symbol " + name));
            return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
        }

        int attribute(int attribute, int device, MemorySegment intOut, Arena arena) throws Throwable {
            check((int) deviceGetAttribute.invokeExact(intOut, attribute, device), "cuDeviceGetAttribute", arena);
            return intOut.get(JAVA_INT, 0);
        }

        void check(int rc, String call, Arena arena) throws Throwable {
            if (rc != CUDA_SUCCESS) {
                throw new IllegalStateException(call + " failed: " + errorName(rc, arena));
            }
        }

        /** {@code CUDA_ERROR_NO_DEVICE (100)}, or just the code when the driver cannot name it. */
        @SuppressWarnings("restricted") // the driver returns a static C string of unknown length
        String errorName(int rc, Arena arena) throws Throwable {
            MemorySegment out = arena.allocate(ADDRESS);
            if ((int) getErrorName.invokeExact(rc, out) == CUDA_SUCCESS) {
                MemorySegment str = out.get(ADDRESS, 0);
                if (!str.equals(MemorySegment.NULL)) {
                    return str.reinterpret(NAME_BYTES).getString(0) + " (" + rc + ")";
                }
            }
            return "CUresult " + rc;
        }
    }
}
