package dev.kiln.tensor.storage;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.kernels.cpu.HalfConversions;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * CPU storage backed by a Java primitive array: {@code double[]} for F64, {@code float[]} for F32,
 * {@code short[]} bit patterns for F16/BF16, {@code long[]}, {@code int[]}, and {@code byte[]} for I8
 * and BOOL (0/1).
 *
 * <p>Heap arrays, because the Vector API loads and stores them at full speed with no bounds-check
 * cost once hoisted; {@link #segment()} views the same memory as a {@link MemorySegment} for
 * dtype-agnostic data movement. Only the CPU backend looks inside; ops never assume an array.
 *
 * <p>Leak debugging: with {@code -Dkiln.debugLeaks=true} every storage records where it was
 * allocated, and one that becomes unreachable without being released prints that stack trace.
 */
public final class CpuStorage extends Storage {
    private static final boolean DEBUG_LEAKS = Boolean.getBoolean("kiln.debugLeaks");
    private static final Cleaner CLEANER = DEBUG_LEAKS ? Cleaner.create() : null;

    private Object array;
    private final MemorySegment segment;
    private final LeakCheck leakCheck;

    private CpuStorage(DType dtype, int length, Object array) {
        super(dtype, length);
        this.array = array;
        this.segment = segmentOf(array);
        if (DEBUG_LEAKS) {
            leakCheck = new LeakCheck(new Throwable("tensor storage " + dtype + "[" + length + "] allocated here"));
            CLEANER.register(this, leakCheck);
        } else {
            leakCheck = null;
        }
    }

    /**
     * A heap segment over a host array of any element type a tensor uses ({@code double[]},
     * {@code float[]}, {@code short[]}, {@code long[]}, {@code int[]}, {@code byte[]}): for
     * dtype-agnostic bulk copies (file I/O, checksums).
     */
    public static MemorySegment segmentOf(Object array) {
        return switch (array) {
            case double[] a -> MemorySegment.ofArray(a);
            case float[] a -> MemorySegment.ofArray(a);
            case short[] a -> MemorySegment.ofArray(a);
            case long[] a -> MemorySegment.ofArray(a);
            case int[] a -> MemorySegment.ofArray(a);
            case byte[] a -> MemorySegment.ofArray(a);
            default -> throw new IllegalArgumentException("CpuStorage: unsupported array " + array.getClass());
        };
    }

    /** Uninitialized (possibly recycled) storage. */
    public static CpuStorage allocate(DType dtype, int length) {
        return new CpuStorage(dtype, length, BufferPool.take(dtype, length));
    }

    /** Wraps an existing array without copying; it is never returned to the pool. */
    public static CpuStorage wrap(DType dtype, Object array) {
        int length = switch (array) {
            case double[] a when dtype == DType.F64 -> a.length;
            case float[] a when dtype == DType.F32 -> a.length;
            case short[] a when dtype.isHalf() -> a.length;
            case long[] a when dtype == DType.I64 -> a.length;
            case int[] a when dtype == DType.I32 -> a.length;
            case byte[] a when dtype == DType.I8 || dtype == DType.BOOL -> a.length;
            default -> throw new IllegalArgumentException("CpuStorage.wrap: a " + array.getClass().getSimpleName()
                    + " cannot hold " + dtype);
        };
        CpuStorage s = new CpuStorage(dtype, length, array);
        s.pooled = false;
        return s;
    }

    private boolean pooled = true;

    @Override
    public Device device() {
        return Device.CPU;
    }

    /** The backing array; its type follows the dtype (see the class comment). */
    public Object array() {
        Object a = array;
        if (a == null) {
            throw new IllegalStateException("storage: " + dtype() + "[" + length() + "] used after it was freed");
        }
        return a;
    }

    public double[] doubles() {
        return (double[]) array();
    }

    public float[] floats() {
        return (float[]) array();
    }

    public short[] shorts() {
        return (short[]) array();
    }

    public long[] longs() {
        return (long[]) array();
    }

    public int[] ints() {
        return (int[]) array();
    }

    public byte[] bytes() {
        return (byte[]) array();
    }

    /** The same memory as a heap segment (element {@code i} at byte {@code i * dtype.byteSize()}). */
    public MemorySegment segment() {
        array();
        return segment;
    }

    /** Element {@code i} as a double (exact for every dtype but I64 beyond 2^53, which rounds to nearest even). */
    public double getDouble(int i) {
        return switch (dtype()) {
            case F64 -> doubles()[i];
            case F32 -> floats()[i];
            case F16 -> HalfConversions.f16ToF32(shorts()[i]);
            case BF16 -> HalfConversions.bf16ToF32(shorts()[i]);
            case I64 -> longs()[i];
            case I32 -> ints()[i];
            case I8, BOOL -> bytes()[i];
        };
    }

    /** Element {@code i} as a long (floats truncate toward zero, like a C cast). */
    public long getLong(int i) {
        return switch (dtype()) {
            case I64 -> longs()[i];
            case I32 -> ints()[i];
            case I8, BOOL -> bytes()[i];
            default -> (long) getDouble(i);
        };
    }

    /**
     * Stores {@code v} into element {@code i}, rounding (once, to nearest even, from the double) or
     * truncating to the dtype.
     */
    public void setDouble(int i, double v) {
        switch (dtype()) {
            case F64 -> doubles()[i] = v;
            case F32 -> floats()[i] = (float) v;
            case F16 -> shorts()[i] = HalfConversions.f64ToF16(v);
            case BF16 -> shorts()[i] = HalfConversions.f64ToBf16(v);
            case I64 -> longs()[i] = (long) v;
            case I32 -> ints()[i] = (int) (long) v;
            case I8 -> bytes()[i] = (byte) (long) v;
            case BOOL -> bytes()[i] = (byte) (v != 0 ? 1 : 0);
        }
    }

    /** Stores integer {@code v} into element {@code i} (wrapping for narrow integer types). */
    public void setLong(int i, long v) {
        switch (dtype()) {
            case I64 -> longs()[i] = v;
            case I32 -> ints()[i] = (int) v;
            case I8 -> bytes()[i] = (byte) v;
            case BOOL -> bytes()[i] = (byte) (v != 0 ? 1 : 0);
            default -> setDouble(i, v);
        }
    }

    @Override
    protected void free() {
        Object a = array;
        array = null;
        if (leakCheck != null) {
            leakCheck.released = true;
        }
        if (pooled && a != null) {
            BufferPool.give(dtype(), a, length());
        }
    }

    private static final class LeakCheck implements Runnable {
        private final Throwable allocationSite;
        volatile boolean released;

        LeakCheck(Throwable allocationSite) {
            this.allocationSite = allocationSite;
        }

        @Override
        public void run() {
            if (!released) {
                System.err.println("kiln: leaked tensor storage (never closed); allocation site:");
                allocationSite.printStackTrace();
            }
        }
    }
}
