package dev.kiln.tensor;

import dev.kiln.tensor.backend.Backend;
import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.ReduceOp;
import dev.kiln.tensor.ops.UnaryOp;
import dev.kiln.tensor.storage.Storage;
import java.util.Arrays;

/**
 * An n-dimensional array: a dtype, a shape, strides and an offset into a {@link Storage} on a
 * {@link Device}. Tensors are immutable values as far as their metadata goes; views (reshape,
 * permute, narrow, expand...) share storage and copy nothing.
 *
 * <p>Lifetime: a tensor is {@link AutoCloseable}; closing it drops its reference to the storage,
 * and the last reference returns the buffer to the pool. A {@link TensorScope} closes every tensor
 * created inside it. Using a closed tensor throws {@link IllegalStateException}.
 *
 * <p>Not thread-safe for concurrent close; reading one tensor from many threads is fine.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final DType dtype;
    private final Shape shape;
    private final int[] strides;
    private final int offset;
    private boolean closed;

    private Tensor(Storage storage, Shape shape, int[] strides, int offset) {
        this.storage = storage;
        this.dtype = storage.dtype();
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        TensorScope.adopt(this);
    }

    // ---------------------------------------------------------------- construction (for backends and ops)

    /** A contiguous tensor owning fresh, uninitialised storage (every kernel writes all of its output). */
    public static Tensor empty(DType dtype, Device device, Shape shape) {
        Storage s = device.backend().allocate(dtype, shape.numel());
        return new Tensor(s, shape, shape.contiguousStrides(), 0);
    }

    /**
     * A tensor over existing storage with the given layout (retains the storage; closing the
     * tensor releases it). For backends that build on another backend's storage (a decorating
     * backend, the test suite's checked device); ops never need it.
     */
    public static Tensor ofStorage(Storage storage, Shape shape, int[] strides, int offset) {
        if (strides.length != shape.rank()) {
            throw new IllegalArgumentException("ofStorage: " + strides.length + " strides for shape " + shape);
        }
        storage.retain();
        return new Tensor(storage, shape, strides.clone(), shape.numel() == 0 ? 0 : offset);
    }

    /** A contiguous uninitialised F32 tensor on the current creation device ({@link DeviceScope}). */
    public static Tensor empty(int... shape) {
        return empty(DType.F32, DeviceScope.current(), Shape.of(shape));
    }

    /** A view sharing {@code base}'s storage (retains it). */
    private Tensor view(Shape shape, int[] strides, int offset) {
        checkOpen("view");
        storage.retain();
        // An empty view reads no element, but a slice of it may carry an offset past the end of its
        // (empty) storage, which breaks every arraycopy/fill that starts at the offset: pin it to 0.
        return new Tensor(storage, shape, strides, shape.numel() == 0 ? 0 : offset);
    }

    // ---------------------------------------------------------------- metadata

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public int rank() {
        return shape.rank();
    }

    /** Size of dimension {@code d} (negative counts from the end). */
    public int size(int d) {
        return shape.size(d);
    }

    public int numel() {
        return shape.numel();
    }

    /** Strides in elements, one per dimension (0 for broadcast dimensions). */
    public int[] strides() {
        return strides.clone();
    }

    /** Element offset of element [0, ..., 0] into the storage. */
    public int offset() {
        return offset;
    }

    public Storage storage() {
        checkOpen("storage");
        return storage;
    }

    public Device device() {
        return storage.device();
    }

    Backend backend() {
        return storage.device().backend();
    }

    /** True when elements are laid out row-major with no gaps (size-1 dims may have any stride). */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.rank() - 1; d >= 0; d--) {
            int n = shape.size(d);
            if (n == 1) {
                continue;
            }
            if (strides[d] != expected) {
                return n == 0 || shape.numel() == 0;
            }
            expected *= n;
        }
        return true;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Throws when this tensor was closed; {@code op} names the caller in the message. */
    public void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": tensor " + shape + " " + dtype + " is closed");
        }
    }

    /** Throws, naming {@code op} and both devices, unless {@code other} (when not null) is on this tensor's device. */
    void checkSameDevice(String op, Tensor other) {
        if (other != null && !other.device().equals(device())) {
            throw new IllegalArgumentException(op + ": tensors are on different devices: " + device() + " and "
                    + other.device());
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            storage.release();
        }
    }

    @Override
    public String toString() {
        if (closed) {
            return "Tensor(closed, shape=" + shape + ", dtype=" + dtype + ")";
        }
        StringBuilder sb = new StringBuilder("tensor(");
        if (numel() <= 64) {
            double[] v = toDoubleArray();
            sb.append(Arrays.toString(v));
        } else {
            sb.append("...");
        }
        return sb.append(", shape=").append(shape).append(", dtype=").append(dtype)
                .append(device().equals(Device.CPU) ? "" : ", device=" + device()).append(')').toString();
    }

    // ---------------------------------------------------------------- creation

    public static Tensor zeros(int... shape) {
        return full(0, DType.F32, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return full(0, dtype, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1, DType.F32, shape);
    }

    public static Tensor ones(DType dtype, int... shape) {
        return full(1, dtype, shape);
    }

    /** Every element {@code value} (rounded to dtype). */
    public static Tensor full(double value, DType dtype, int... shape) {
        Tensor t = empty(dtype, DeviceScope.current(), Shape.of(shape));
        t.backend().fill(t, value);
        return t;
    }

    /** Every element {@code value} (rounded to dtype), on this tensor's device (torch's {@code new_full}). */
    public Tensor newFull(double value, DType dtype, int... shape) {
        checkOpen("newFull");
        Tensor t = empty(dtype, device(), Shape.of(shape));
        t.backend().fill(t, value);
        return t;
    }

    /** Zeros on this tensor's device (torch's {@code new_zeros}). */
    public Tensor newZeros(DType dtype, int... shape) {
        return newFull(0, dtype, shape);
    }

    /** A 0-dimensional tensor on this tensor's device. */
    public Tensor newScalar(double value, DType dtype) {
        return newFull(value, dtype);
    }

    /** A 0-dimensional tensor. */
    public static Tensor scalar(double value, DType dtype) {
        return full(value, dtype);
    }

    /** A 0-dimensional F32 tensor. */
    public static Tensor scalar(double value) {
        return full(value, DType.F32);
    }

    /** {@code [start, start+step, ...)} below {@code end} (above for negative step), like torch.arange. */
    public static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0 || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: step must be finite and non-zero, got " + step);
        }
        if (!Double.isFinite(start) || !Double.isFinite(end)) {
            throw new IllegalArgumentException("arange: start and end must be finite, got " + start + " and " + end);
        }
        double count = Math.ceil((end - start) / step);
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("arange: " + count + " elements is too many");
        }
        Tensor t = empty(dtype, DeviceScope.current(), Shape.of((int) Math.max(0, count)));
        t.backend().arange(t, start, step);
        return t;
    }

    /** {@code [0, 1, ..., end-1]} as I64. */
    public static Tensor arange(long end) {
        return arange(0, end, 1, DType.I64);
    }

    /** {@code steps} evenly spaced F32 values from start to end inclusive. */
    public static Tensor linspace(double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: steps must be >= 0, got " + steps);
        }
        Tensor t = empty(DType.F32, DeviceScope.current(), Shape.of(steps));
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        t.backend().arange(t, start, step);
        if (steps > 1) { // make the last element exactly `end`, as torch does
            float[] v = t.toFloatArray();
            v[steps - 1] = (float) end;
            Tensor exact = fromArray(v, steps);
            t.close();
            return exact;
        }
        return t;
    }

    /** The n×n identity (F32). */
    public static Tensor eye(int n) {
        return eye(n, n);
    }

    /** An n×m F32 matrix with ones on the main diagonal. */
    public static Tensor eye(int n, int m) {
        float[] v = new float[Shape.of(n, m).numel()];
        for (int i = 0; i < Math.min(n, m); i++) {
            v[i * m + i] = 1;
        }
        return fromArray(v, n, m);
    }

    /** U[0, 1) F32 values from {@code g}. */
    public static Tensor rand(dev.kiln.tensor.random.Generator g, int... shape) {
        return random(g, Backend.Distribution.UNIFORM, 0, 1, DType.F32, shape);
    }

    /**
     * U[0, 1) values of a floating {@code dtype} from {@code g}: the F32 draws converted, so for F64
     * they are exactly the F32 stream's values (24 random bits each, not 53).
     */
    public static Tensor rand(dev.kiln.tensor.random.Generator g, DType dtype, int... shape) {
        return random(g, Backend.Distribution.UNIFORM, 0, 1, checkFloating("rand", dtype), shape);
    }

    /** N(0, 1) F32 values from {@code g}. */
    public static Tensor randn(dev.kiln.tensor.random.Generator g, int... shape) {
        return random(g, Backend.Distribution.NORMAL, 0, 1, DType.F32, shape);
    }

    /** N(0, 1) values of a floating {@code dtype} from {@code g} (the F32 draws converted, as {@link #rand(dev.kiln.tensor.random.Generator, DType, int...)}). */
    public static Tensor randn(dev.kiln.tensor.random.Generator g, DType dtype, int... shape) {
        return random(g, Backend.Distribution.NORMAL, 0, 1, checkFloating("randn", dtype), shape);
    }

    private static DType checkFloating(String op, DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": dtype must be floating point (F64, F32, F16, BF16), got " + dtype);
        }
        return dtype;
    }

    /** I64 integers uniform in {@code [low, high)}. */
    public static Tensor randint(dev.kiln.tensor.random.Generator g, long low, long high, int... shape) {
        if (low >= high) {
            throw new IllegalArgumentException("randint: low must be < high, got low=" + low + " high=" + high);
        }
        if (g == null) {
            throw new IllegalArgumentException("randint: generator must not be null");
        }
        Tensor t = empty(DType.I64, DeviceScope.current(), Shape.of(shape));
        t.backend().randomInt(g, low, high, t);
        return t;
    }

    private static Tensor random(dev.kiln.tensor.random.Generator g, Backend.Distribution dist, double a, double b,
                                 DType dtype, int... shape) {
        if (g == null) {
            throw new IllegalArgumentException("random: generator must not be null");
        }
        Tensor t = empty(dtype, DeviceScope.current(), Shape.of(shape));
        t.backend().random(g, dist, a, b, t);
        return t;
    }

    /** An F32 tensor holding a copy of {@code data} with the given shape. */
    public static Tensor fromArray(float[] data, int... shape) {
        return upload(DType.F32, data, data.length, shape);
    }

    /**
     * A tensor of {@code dtype} (F64, F32, F16, BF16) from doubles: F64 holds them exactly, the
     * others round each value once to nearest even (never through an intermediate type).
     */
    public static Tensor fromArray(double[] data, DType dtype, int... shape) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("fromArray: doubles convert to F64, F32, F16 or BF16, not " + dtype
                    + " (use the long[], int[], byte[] or boolean[] overloads)");
        }
        Tensor t = upload(DType.F64, data, data.length, shape);
        if (dtype == DType.F64) {
            return t;
        }
        Tensor c = t.to(dtype);
        t.close();
        return c;
    }

    public static Tensor fromArray(long[] data, int... shape) {
        return upload(DType.I64, data, data.length, shape);
    }

    public static Tensor fromArray(int[] data, int... shape) {
        return upload(DType.I32, data, data.length, shape);
    }

    public static Tensor fromArray(boolean[] data, int... shape) {
        byte[] b = new byte[data.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (data[i] ? 1 : 0);
        }
        return upload(DType.BOOL, b, b.length, shape);
    }

    /** I8 tensor from bytes. */
    public static Tensor fromArray(byte[] data, int... shape) {
        return upload(DType.I8, data, data.length, shape);
    }

    /** F16 or BF16 tensor from raw 16-bit patterns. */
    public static Tensor fromBits(short[] bits, DType dtype, int... shape) {
        if (!dtype.isHalf()) {
            throw new IllegalArgumentException("fromBits: dtype must be F16 or BF16, got " + dtype);
        }
        return upload(dtype, bits, bits.length, shape);
    }

    private static void checkLength(String op, int length, int[] shape) {
        Shape s = Shape.of(shape);
        if (s.numel() != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + s
                    + " (" + s.numel() + " elements)");
        }
    }

    private static Tensor upload(DType dtype, Object data, int length, int[] shape) {
        checkLength("fromArray", length, shape);
        Shape s = Shape.of(shape);
        Storage st = DeviceScope.current().backend().upload(dtype, data);
        return new Tensor(st, s, s.contiguousStrides(), 0);
    }

    // ---------------------------------------------------------------- reading back

    public float[] toFloatArray() {
        checkOpen("toFloatArray");
        Tensor t = dtype == DType.F32 ? this : to(DType.F32);
        float[] v = (float[]) t.backend().download(t);
        if (t != this) {
            t.close();
        }
        return v;
    }

    /** The values as doubles: exact for every dtype (bit-exact for F64) except I64 beyond 2^53, which rounds. */
    public double[] toDoubleArray() {
        checkOpen("toDoubleArray");
        double[] out = new double[numel()];
        Object a = backend().download(this);
        switch (a) {
            case double[] d -> System.arraycopy(d, 0, out, 0, out.length);
            case float[] f -> { for (int i = 0; i < out.length; i++) out[i] = f[i]; }
            case long[] l -> { for (int i = 0; i < out.length; i++) out[i] = l[i]; }
            case int[] n -> { for (int i = 0; i < out.length; i++) out[i] = n[i]; }
            case byte[] b -> { for (int i = 0; i < out.length; i++) out[i] = b[i]; }
            case short[] s -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = dtype == DType.F16 ? dev.kiln.tensor.kernels.cpu.HalfConversions.f16ToF32(s[i])
                            : dev.kiln.tensor.kernels.cpu.HalfConversions.bf16ToF32(s[i]);
                }
            }
            default -> throw new IllegalStateException("toDoubleArray: unexpected host array " + a.getClass());
        }
        return out;
    }

    public long[] toLongArray() {
        checkOpen("toLongArray");
        Tensor t = dtype == DType.I64 ? this : to(DType.I64);
        long[] v = (long[]) t.backend().download(t);
        if (t != this) {
            t.close();
        }
        return v;
    }

    public boolean[] toBooleanArray() {
        double[] d = toDoubleArray();
        boolean[] b = new boolean[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = d[i] != 0;
        }
        return b;
    }

    /** Raw 16-bit patterns of an F16/BF16 tensor. */
    public short[] toBits() {
        checkOpen("toBits");
        if (!dtype.isHalf()) {
            throw new IllegalArgumentException("toBits: dtype must be F16 or BF16, got " + dtype);
        }
        return (short[]) backend().download(this);
    }

    /** The value of a one-element tensor (exact as {@link #toDoubleArray()}). */
    public double item() {
        checkOpen("item");
        if (numel() != 1) {
            throw new IllegalArgumentException("item: tensor of shape " + shape + " has " + numel()
                    + " elements, expected exactly 1");
        }
        return toDoubleArray()[0];
    }

    // ---------------------------------------------------------------- views

    /**
     * This tensor with a new shape, sharing storage when the strides allow (one size may be -1 and is
     * inferred), else a contiguous copy — torch.reshape.
     */
    public Tensor reshape(int... newShape) {
        Shape target = inferShape("reshape", newShape);
        int[] st = viewStrides(target);
        if (st != null) {
            return view(target, st, offset);
        }
        Tensor c = contiguous();
        Tensor v = c.view(target, target.contiguousStrides(), c.offset);
        c.close();
        return v;
    }

    /** Like {@link #reshape} but never copies: throws when the strides do not allow a view — torch.view. */
    public Tensor view(int... newShape) {
        Shape target = inferShape("view", newShape);
        int[] st = viewStrides(target);
        if (st == null) {
            throw new IllegalArgumentException("view: shape " + target + " is not compatible with the strides "
                    + Arrays.toString(strides) + " of a tensor of shape " + shape + "; use reshape (which copies)");
        }
        return view(target, st, offset);
    }

    /** Collapses all dimensions into one. */
    public Tensor flatten() {
        return reshape(-1);
    }

    private Shape inferShape(String op, int[] dims) {
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be -1, got " + Arrays.toString(dims));
                }
                infer = i;
            } else if (d[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + d[i] + " in " + Arrays.toString(dims));
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(dims) + " is invalid for input of shape "
                        + shape + " (" + numel() + " elements)");
            }
            d[infer] = (int) (numel() / known);
            known *= d[infer];
        }
        if (known != numel()) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(dims) + " is invalid for input of shape "
                    + shape + " (" + numel() + " elements)");
        }
        return Shape.of(d);
    }

    /** Strides that view this tensor's storage as {@code target}, or null when a copy is needed. */
    private int[] viewStrides(Shape target) {
        if (isContiguous()) {
            return target.contiguousStrides();
        }
        // Group old dims into chunks that are contiguous among themselves, then split each chunk
        // across the new dims (the algorithm of torch's computeStride).
        int[] newStrides = new int[target.rank()];
        if (numel() == 0) {
            return target.contiguousStrides();
        }
        int viewD = target.rank() - 1;
        long chunkBase = strides.length == 0 ? 1 : strides[strides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.rank() - 1; d >= 0; d--) {
            tensorNumel *= shape.size(d);
            if (d == 0 || (shape.size(d - 1) != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || target.size(viewD) == 1)) {
                    newStrides[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= target.size(viewD);
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    /** Reorders dimensions: result dim i is this tensor's dim {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != rank()) {
            throw new IllegalArgumentException("permute: got " + order.length + " dimensions " + Arrays.toString(order)
                    + " for a tensor of rank " + rank() + " (shape " + shape + ")");
        }
        int[] dims = new int[order.length];
        int[] st = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int d = Shape.normalizeDim(order[i], rank(), "permute");
            if (seen[d]) {
                throw new IllegalArgumentException("permute: dimension " + d + " repeats in " + Arrays.toString(order));
            }
            seen[d] = true;
            dims[i] = shape.size(d);
            st[i] = strides[d];
        }
        return view(Shape.of(dims), st, offset);
    }

    /** Swaps two dimensions. */
    public Tensor transpose(int dim0, int dim1) {
        int[] order = new int[rank()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int a = Shape.normalizeDim(dim0, rank(), "transpose");
        int b = Shape.normalizeDim(dim1, rank(), "transpose");
        if (rank() == 0) {
            return view(shape, strides, offset);
        }
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Transpose of a matrix (rank &lt;= 2). */
    public Tensor t() {
        if (rank() > 2) {
            throw new IllegalArgumentException("t: expects a tensor of rank <= 2, got shape " + shape);
        }
        return rank() < 2 ? view(shape, strides, offset) : transpose(0, 1);
    }

    private void requireDims(String op) {
        if (rank() == 0) {
            throw new IllegalArgumentException(op + ": cannot be applied to a 0-dimensional tensor");
        }
    }

    /** Elements {@code start .. start+length-1} of {@code dim}, as a view. */
    public Tensor narrow(int dim, int start, int length) {
        requireDims("narrow");
        int d = Shape.normalizeDim(dim, rank(), "narrow");
        int n = shape.size(d);
        if (start < 0) {
            start += n;
        }
        if (start < 0 || length < 0 || length > n - start) { // n - start: start + length may overflow
            throw new IllegalArgumentException("narrow: start " + start + " and length " + length
                    + " exceed dimension " + d + " of size " + n + " (shape " + shape + ")");
        }
        int[] dims = shape.toArray();
        dims[d] = length;
        return view(Shape.of(dims), strides.clone(), offset + start * strides[d]);
    }

    /**
     * Python's {@code x[..., start:end:step, ...]} on one dimension, as a view. Negative start/end
     * count from the end; out-of-range bounds are clamped as in Python; step must be &gt; 0.
     */
    public Tensor slice(int dim, int start, int end, int step) {
        requireDims("slice");
        int d = Shape.normalizeDim(dim, rank(), "slice");
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be > 0, got " + step);
        }
        int n = shape.size(d);
        int s = start < 0 ? Math.max(0, start + n) : Math.min(start, n);
        int e = end < 0 ? Math.max(0, end + n) : Math.min(end, n);
        int len = e > s ? (e - s - 1) / step + 1 : 0; // not (e - s + step - 1): it overflows for a huge step
        int[] dims = shape.toArray();
        dims[d] = len;
        int[] st = strides.clone();
        st[d] = strides[d] * step;
        return view(Shape.of(dims), st, offset + (len > 0 ? s * strides[d] : 0));
    }

    /** Removes every size-1 dimension. */
    public Tensor squeeze() {
        int count = 0;
        for (int i = 0; i < rank(); i++) {
            if (shape.size(i) != 1) {
                count++;
            }
        }
        int[] dims = new int[count];
        int[] st = new int[count];
        for (int i = 0, j = 0; i < rank(); i++) {
            if (shape.size(i) != 1) {
                dims[j] = shape.size(i);
                st[j++] = strides[i];
            }
        }
        return view(Shape.of(dims), st, offset);
    }

    /** Removes dimension {@code dim} if it has size 1 (else returns an unchanged view), like torch. */
    public Tensor squeeze(int dim) {
        if (rank() == 0) {
            Shape.normalizeDim(dim, 0, "squeeze");
            return view(shape, strides, offset);
        }
        int d = Shape.normalizeDim(dim, rank(), "squeeze");
        if (shape.size(d) != 1) {
            return view(shape, strides, offset);
        }
        int[] dims = new int[rank() - 1];
        int[] st = new int[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) {
            if (i != d) {
                dims[j] = shape.size(i);
                st[j++] = strides[i];
            }
        }
        return view(Shape.of(dims), st, offset);
    }

    /** Inserts a size-1 dimension at {@code dim} (in {@code [-rank-1, rank]}). */
    public Tensor unsqueeze(int dim) {
        int d = Shape.normalizeDim(dim, rank() + 1, "unsqueeze");
        int[] dims = new int[rank() + 1];
        int[] st = new int[rank() + 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i == d) {
                dims[i] = 1;
                st[i] = d < rank() ? strides[d] * shape.size(d) : 1;
            } else {
                dims[i] = shape.size(j);
                st[i] = strides[j++];
            }
        }
        return view(Shape.of(dims), st, offset);
    }

    /**
     * A broadcast view: size-1 dimensions stretch (stride 0) to the new sizes, new leading dimensions
     * may be added, and -1 keeps a size — torch.expand.
     */
    public Tensor expand(int... sizes) {
        if (sizes.length < rank()) {
            throw new IllegalArgumentException("expand: the number of sizes (" + sizes.length + ", " + Arrays.toString(sizes)
                    + ") must be >= the rank of the tensor (shape " + shape + ")");
        }
        int lead = sizes.length - rank();
        int[] dims = new int[sizes.length];
        int[] st = new int[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            int want = sizes[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: size -1 is not allowed in a new leading dimension "
                            + i + " of " + Arrays.toString(sizes));
                }
                dims[i] = want;
                st[i] = 0;
                continue;
            }
            int have = shape.size(i - lead);
            if (want == -1) {
                want = have;
            }
            if (want == have) {
                dims[i] = have;
                st[i] = strides[i - lead];
            } else if (have == 1 && want >= 0) {
                dims[i] = want;
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: the expanded size " + want + " must match the existing size "
                        + have + " at non-singleton dimension " + i + " (shape " + shape + " to " + Arrays.toString(sizes) + ")");
            }
        }
        return view(Shape.of(dims), st, offset);
    }

    /** This tensor broadcast to {@code target} (a view). */
    public Tensor expandTo(Shape target) {
        return expand(target.toArray());
    }

    /** A contiguous tensor with the same values: a new view of this storage when already contiguous, else a copy. */
    public Tensor contiguous() {
        if (isContiguous()) {
            return view(shape, shape.contiguousStrides(), offset);
        }
        return copy();
    }

    /** A contiguous copy with its own storage (torch.clone). */
    public Tensor copy() {
        checkOpen("copy");
        Tensor out = empty(dtype, device(), shape);
        backend().copy(this, out);
        return out;
    }

    /** This tensor converted to {@code target} (a new view when it already has that dtype). */
    public Tensor to(DType target) {
        checkOpen("to");
        if (target == dtype) {
            return view(shape, strides, offset);
        }
        Tensor out = empty(target, device(), shape);
        backend().copy(this, out);
        return out;
    }

    /**
     * This tensor on {@code target} (itself, as a new view, when it is already there): a
     * contiguous copy with the same dtype and shape, made through the host.
     */
    public Tensor to(Device target) {
        checkOpen("to");
        if (target.equals(device())) {
            return view(shape, strides, offset);
        }
        Object host = backend().download(this);
        Storage st = target.backend().upload(dtype, host);
        return new Tensor(st, shape, shape.contiguousStrides(), 0);
    }

    // ---------------------------------------------------------------- bulk I/O

    /**
     * Writes the elements in row-major order as little-endian values of this dtype (the layout
     * of safetensors and of Kiln's checkpoints) into {@code dst}, host memory of exactly
     * {@code numel() * dtype().byteSize()} bytes; runs on this tensor's device, with no host array
     * in between on the CPU.
     */
    public void writeBytes(java.lang.foreign.MemorySegment dst) {
        checkOpen("writeBytes");
        checkByteSize("writeBytes", dst);
        backend().writeBytes(this, dst);
    }

    /**
     * In place: fills this contiguous tensor from little-endian values of its dtype in {@code src}
     * ({@code numel() * dtype().byteSize()} bytes); for BOOL any non-zero byte reads as true. Bumps
     * the storage version.
     */
    public Tensor readBytes(java.lang.foreign.MemorySegment src) {
        checkOpen("readBytes");
        checkByteSize("readBytes", src);
        if (!isContiguous()) {
            throw new IllegalArgumentException("readBytes: the tensor must be contiguous, got strides "
                    + java.util.Arrays.toString(strides) + " for shape " + shape);
        }
        backend().readBytes(src, this);
        storage.bumpVersion();
        return this;
    }

    private void checkByteSize(String op, java.lang.foreign.MemorySegment segment) {
        long expected = (long) numel() * dtype.byteSize();
        if (segment.byteSize() != expected) {
            throw new IllegalArgumentException(op + ": the segment has " + segment.byteSize() + " bytes but a " + dtype + " "
                    + shape + " tensor needs " + expected);
        }
    }

    // ---------------------------------------------------------------- elementwise (see dev.kiln.tensor.Elementwise)

    /**
     * In place: copies {@code src} (broadcast to this shape, converted to this dtype, moved from
     * its device when it lives elsewhere) into this tensor, which may be a view (then the base tensor changes too). Bumps the storage's
     * {@linkplain Storage#version() version}, so a graph that saved this tensor refuses to backward.
     */
    public Tensor copyFrom(Tensor src) {
        checkOpen("copyFrom");
        src.checkOpen("copyFrom");
        if (!src.device().equals(device())) {
            try (Tensor here = src.to(device())) { // torch's copy_ crosses devices too
                return copyFrom(here);
            }
        }
        if (src.storage() == storage && !(src.offset() == offset && src.shape().equals(shape)
                && java.util.Arrays.equals(src.strides(), strides))) {
            // Overlapping source and destination would read values already overwritten.
            try (Tensor tmp = src.copy()) {
                return copyFrom(tmp);
            }
        }
        try (Tensor b = src.expandTo(shape)) {
            backend().copy(b, this);
        }
        storage.bumpVersion();
        return this;
    }

    /** In place: every element = {@code value} (rounded to this dtype); bumps the storage version (torch's {@code fill_}). */
    public Tensor fill(double value) {
        checkOpen("fill");
        if (isContiguous()) {
            backend().fill(this, value);
            storage.bumpVersion();
            return this;
        }
        try (Tensor v = empty(dtype, device(), Shape.of())) {
            backend().fill(v, value);
            return copyFrom(v);
        }
    }

    /** In place: {@code this += alpha * other} (other broadcast to this shape), e.g. an SGD step with alpha = -lr. */
    public Tensor addInPlace(Tensor other, double alpha) {
        checkOpen("addInPlace");
        try (Tensor scaled = other.mul(alpha); Tensor sum = this.add(scaled)) {
            if (!sum.shape().equals(shape)) {
                throw new IllegalArgumentException("addInPlace: other of shape " + other.shape()
                        + " does not broadcast to this tensor's shape " + shape);
            }
            return copyFrom(sum);
        }
    }

    public Tensor add(Tensor other) { return Elementwise.binary(BinaryOp.ADD, this, other); }
    public Tensor sub(Tensor other) { return Elementwise.binary(BinaryOp.SUB, this, other); }
    public Tensor mul(Tensor other) { return Elementwise.binary(BinaryOp.MUL, this, other); }
    /** True division: integer inputs give F32, as torch.div. */
    public Tensor div(Tensor other) { return Elementwise.binary(BinaryOp.DIV, this, other); }
    public Tensor pow(Tensor other) { return Elementwise.binary(BinaryOp.POW, this, other); }
    /** Elementwise maximum; NaN propagates. */
    public Tensor maximum(Tensor other) { return Elementwise.binary(BinaryOp.MAXIMUM, this, other); }
    /**
     * ReLU's backward in one pass: this (the incoming gradient) where {@code input > 0}, else 0
     * (the subgradient at 0 is 0, and a NaN input blocks the gradient, as {@code input > 0} is
     * false). Broadcasts like {@link #mul}.
     */
    public Tensor reluBackward(Tensor input) { return Elementwise.reluBackward(this, input); }
    public Tensor minimum(Tensor other) { return Elementwise.binary(BinaryOp.MINIMUM, this, other); }
    public Tensor eq(Tensor other) { return Elementwise.binary(BinaryOp.EQ, this, other); }
    public Tensor ne(Tensor other) { return Elementwise.binary(BinaryOp.NE, this, other); }
    public Tensor lt(Tensor other) { return Elementwise.binary(BinaryOp.LT, this, other); }
    public Tensor le(Tensor other) { return Elementwise.binary(BinaryOp.LE, this, other); }
    public Tensor gt(Tensor other) { return Elementwise.binary(BinaryOp.GT, this, other); }
    public Tensor ge(Tensor other) { return Elementwise.binary(BinaryOp.GE, this, other); }

    public Tensor add(double s) { return Elementwise.binaryScalar(BinaryOp.ADD, this, s); }
    public Tensor sub(double s) { return Elementwise.binaryScalar(BinaryOp.SUB, this, s); }
    public Tensor mul(double s) { return Elementwise.binaryScalar(BinaryOp.MUL, this, s); }
    public Tensor div(double s) { return Elementwise.binaryScalar(BinaryOp.DIV, this, s); }
    public Tensor pow(double s) { return Elementwise.binaryScalar(BinaryOp.POW, this, s); }
    public Tensor eq(double s) { return Elementwise.binaryScalar(BinaryOp.EQ, this, s); }
    public Tensor lt(double s) { return Elementwise.binaryScalar(BinaryOp.LT, this, s); }
    public Tensor gt(double s) { return Elementwise.binaryScalar(BinaryOp.GT, this, s); }

    public Tensor neg() { return Elementwise.unary(UnaryOp.NEG, this); }
    public Tensor abs() { return Elementwise.unary(UnaryOp.ABS, this); }
    public Tensor sign() { return Elementwise.unary(UnaryOp.SIGN, this); }
    public Tensor relu() { return Elementwise.unary(UnaryOp.RELU, this); }
    public Tensor exp() { return Elementwise.unary(UnaryOp.EXP, this); }
    public Tensor log() { return Elementwise.unary(UnaryOp.LOG, this); }
    public Tensor log1p() { return Elementwise.unary(UnaryOp.LOG1P, this); }
    public Tensor sqrt() { return Elementwise.unary(UnaryOp.SQRT, this); }
    public Tensor rsqrt() { return Elementwise.unary(UnaryOp.RSQRT, this); }
    public Tensor tanh() { return Elementwise.unary(UnaryOp.TANH, this); }
    public Tensor sigmoid() { return Elementwise.unary(UnaryOp.SIGMOID, this); }
    /** GELU with the exact erf form (torch's default). */
    public Tensor gelu() { return Elementwise.unary(UnaryOp.GELU_ERF, this); }
    /** The derivative of {@link #gelu()}, Φ(x) + x·φ(x) (its backward, in one pass). */
    public Tensor geluDerivative() { return Elementwise.geluErfDerivative(this); }
    /** GELU with the tanh approximation (torch's approximate='tanh'). */
    public Tensor geluTanh() { return Elementwise.unary(UnaryOp.GELU_TANH, this); }
    public Tensor silu() { return Elementwise.unary(UnaryOp.SILU, this); }
    public Tensor sin() { return Elementwise.unary(UnaryOp.SIN, this); }
    public Tensor cos() { return Elementwise.unary(UnaryOp.COS, this); }
    /** The error function, elementwise (torch.erf); integer inputs give F32. */
    public Tensor erf() { return Elementwise.unary(UnaryOp.ERF, this); }

    /** Clamps to [min, max]; pass Double.NaN for an open bound. */
    public Tensor clamp(double min, double max) { return Elementwise.clamp(this, min, max); }

    /** {@code cond ? a : b} with broadcasting; cond must be BOOL. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return Elementwise.where(cond, a, b); }

    /** A copy with {@code value} wherever the BOOL {@code mask} (broadcast to this shape) is true. */
    public Tensor maskedFill(Tensor mask, double value) { return Elementwise.maskedFill(this, mask, value); }

    // ---------------------------------------------------------------- reductions (see Reductions)

    public Tensor sum() { return Reductions.reduce(ReduceOp.SUM, this, null, false, 0); }
    public Tensor sum(int[] dims, boolean keepdim) { return Reductions.reduce(ReduceOp.SUM, this, dims, keepdim, 0); }
    public Tensor sum(int dim) { return sum(new int[] {dim}, false); }
    public Tensor mean() { return Reductions.reduce(ReduceOp.MEAN, this, null, false, 0); }
    public Tensor mean(int[] dims, boolean keepdim) { return Reductions.reduce(ReduceOp.MEAN, this, dims, keepdim, 0); }
    public Tensor mean(int dim) { return mean(new int[] {dim}, false); }
    public Tensor max() { return Reductions.reduce(ReduceOp.MAX, this, null, false, 0); }
    public Tensor max(int[] dims, boolean keepdim) { return Reductions.reduce(ReduceOp.MAX, this, dims, keepdim, 0); }
    public Tensor min() { return Reductions.reduce(ReduceOp.MIN, this, null, false, 0); }
    public Tensor min(int[] dims, boolean keepdim) { return Reductions.reduce(ReduceOp.MIN, this, dims, keepdim, 0); }
    /** Index (I64) of the first maximum over the flattened tensor. */
    public Tensor argmax() { return Reductions.argReduce(ReduceOp.ARGMAX, this, null, false); }
    public Tensor argmax(int dim, boolean keepdim) { return Reductions.argReduce(ReduceOp.ARGMAX, this, dim, keepdim); }
    public Tensor argmin() { return Reductions.argReduce(ReduceOp.ARGMIN, this, null, false); }
    public Tensor argmin(int dim, boolean keepdim) { return Reductions.argReduce(ReduceOp.ARGMIN, this, dim, keepdim); }
    /** Variance with Bessel's correction (correction=1), like torch.var. */
    public Tensor var(int[] dims, int correction, boolean keepdim) { return Reductions.reduce(ReduceOp.VAR, this, dims, keepdim, correction); }
    public Tensor var() { return Reductions.reduce(ReduceOp.VAR, this, null, false, 1); }
    public Tensor std(int[] dims, int correction, boolean keepdim) {
        Tensor v = var(dims, correction, keepdim);
        Tensor s = v.sqrt();
        v.close();
        return s;
    }
    public Tensor std() { return std(null, 1, false); }
    public Tensor logsumexp(int[] dims, boolean keepdim) { return Reductions.reduce(ReduceOp.LOGSUMEXP, this, dims, keepdim, 0); }
    public Tensor softmax(int dim) { return Reductions.softmax(this, dim, false); }
    public Tensor logSoftmax(int dim) { return Reductions.softmax(this, dim, true); }

    // ---------------------------------------------------------------- linear algebra and indexing

    /** torch.matmul: 1-D, 2-D and batched N-D with broadcast batch dimensions. */
    public Tensor matmul(Tensor other) { return LinearAlgebra.matmul(this, other); }

    /**
     * Every sliding window of this [N, C, H, W] image as a column: [N, C*kh*kw, OH*OW] (torch's
     * {@code F.unfold}); positions in the padding read {@code padValue} (0 for convolution,
     * -inf for max pooling).
     */
    public Tensor im2col(dev.kiln.tensor.ops.Window2d window, double padValue) { return Convolution.im2col(this, window, padValue); }
    /** The adjoint of {@link #im2col}: sums columns [N, C*kh*kw, OH*OW] back into an image [N, C, height, width] (torch's {@code F.fold}). */
    public Tensor col2im(int height, int width, dev.kiln.tensor.ops.Window2d window) { return Convolution.col2im(this, height, width, window); }
    /**
     * [N, C, H, W] -> [C*kh*kw, N*OH*OW]: {@link #im2col} (zero padding) with the columns of all
     * images side by side, ready for one GEMM over the batch; row {@code (c*kh + i)*kw + j},
     * column {@code n*OH*OW + l}.
     */
    public Tensor im2colWide(dev.kiln.tensor.ops.Window2d window) { return Convolution.im2colWide(this, window); }
    /** The adjoint of {@link #im2colWide}: columns [C*kh*kw, N*OH*OW] summed back into [N, C, height, width]. */
    public Tensor col2imWide(int n, int height, int width, dev.kiln.tensor.ops.Window2d window) {
        return Convolution.col2imWide(this, n, height, width, window);
    }

    /** 2-D max pooling of this [N, C, H, W] tensor: values and the I64 flat index (h*W + w) of each maximum. */
    public MaxPool maxPool2d(dev.kiln.tensor.ops.Window2d window) { return Convolution.maxPool2d(this, window); }
    /** Scatters a max-pooling gradient [N, C, OH, OW] back to [N, C, height, width] at the pooling indices. */
    public static Tensor maxPool2dBackward(Tensor grad, Tensor indices, int height, int width) {
        return Convolution.maxPool2dBackward(grad, indices, height, width);
    }

    /**
     * Fused layer normalization over the trailing {@code normalizedDims} dims, {@code (x - mean) *
     * rstd * weight + bias} (weight/bias of the normalized shape, or null); returns the output and
     * the per-row mean and rstd (F32) its backward needs. Computes in F32.
     */
    public LayerNorm layerNorm(int normalizedDims, Tensor weight, Tensor bias, double eps) {
        return Normalization.layerNorm(this, normalizedDims, weight, bias, eps);
    }

    /**
     * The elementwise half of an LSTM step, fused: gate pre-activations [N, 4H] (order i, f, g, o, as
     * torch) and the previous cell state c [N, H] give [N, 2H] = [h', c'] with c' = σ(f)·c + σ(i)·tanh(g)
     * and h' = σ(o)·tanh(c'). F32 only.
     */
    public static Tensor lstmCell(Tensor gates, Tensor c) { return LstmCell.forward(gates, c); }

    /** {dGates [N, 4H], dC [N, H]} of {@link #lstmCell} given its output hc and the gradient [dh', dc'] [N, 2H]. */
    public static Tensor[] lstmCellBackward(Tensor gates, Tensor c, Tensor hc, Tensor grad) {
        return LstmCell.backward(gates, c, hc, grad);
    }

    /** The gradients {dx, dweight or null, dbias or null} of {@link #layerNorm} for output gradient dy. */
    public static Tensor[] layerNormBackward(Tensor dy, Tensor x, int normalizedDims, Tensor weight, Tensor mean, Tensor rstd,
                                             boolean needWeight, boolean needBias) {
        return Normalization.layerNormBackward(dy, x, normalizedDims, weight, mean, rstd, needWeight, needBias);
    }

    public Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(this, dim, index); }
    public Tensor gather(int dim, Tensor index) { return Indexing.gather(this, dim, index); }
    /** Out-of-place torch.scatter_add: a copy of this with src added at index along dim. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) { return Indexing.scatterAdd(this, dim, index, src); }
    /** Rows of {@code weight} [V, D] picked by integer {@code indices} of any shape: result [..., D]. */
    public static Tensor embedding(Tensor weight, Tensor indices) { return Indexing.embedding(weight, indices); }
    public static Tensor cat(java.util.List<Tensor> tensors, int dim) { return Indexing.cat(tensors, dim); }
    public static Tensor stack(java.util.List<Tensor> tensors, int dim) { return Indexing.stack(tensors, dim); }
    /** Views of consecutive pieces of {@code splitSize} along dim (the last may be smaller). */
    public java.util.List<Tensor> split(int splitSize, int dim) { return Indexing.split(this, splitSize, dim); }
    public java.util.List<Tensor> chunk(int chunks, int dim) { return Indexing.chunk(this, chunks, dim); }
    /** I64 one-hot encoding of an integer tensor: result [..., numClasses]. */
    public Tensor oneHot(int numClasses) { return Indexing.oneHot(this, numClasses); }
    public Tensor tril(int diagonal) { return Indexing.triangle(this, diagonal, true); }
    public Tensor triu(int diagonal) { return Indexing.triangle(this, diagonal, false); }
    /** Indices (I64) that sort along dim; stable. */
    public Tensor argsort(int dim, boolean descending) { return Indexing.argsort(this, dim, descending); }
    /** The k largest (or smallest) values along dim with their indices, sorted. */
    public TopK topk(int k, int dim, boolean largest) { return Indexing.topk(this, k, dim, largest); }

    /** Result of {@link #layerNorm}: the output and per-row statistics (F32 [rows]). */
    public record LayerNorm(Tensor output, Tensor mean, Tensor rstd) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            mean.close();
            rstd.close();
        }
    }

    /** Result of {@link #maxPool2d}: values and I64 indices, both [N, C, OH, OW]. */
    public record MaxPool(Tensor values, Tensor indices) implements AutoCloseable {
        @Override
        public void close() {
            values.close();
            indices.close();
        }
    }

    /** Result of {@link #topk}: values and I64 indices. */
    public record TopK(Tensor values, Tensor indices) implements AutoCloseable {
        @Override
        public void close() {
            values.close();
            indices.close();
        }
    }

    // ---------------------------------------------------------------- package internals
    int[] stridesRef() {
        return strides;
    }
}
