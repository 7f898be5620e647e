package dev.kiln.tensor.checked;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.backend.Backend;
import dev.kiln.tensor.backend.Backends;
import dev.kiln.tensor.cpu.CpuBackend;
import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.FusedStep;
import dev.kiln.tensor.ops.ReduceOp;
import dev.kiln.tensor.ops.UnaryOp;
import dev.kiln.tensor.ops.Window2d;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.CpuStorage;
import dev.kiln.tensor.storage.Storage;
import java.lang.foreign.MemorySegment;

/**
 * A test-only second device that proves the device seam: its storage is its own class
 * ({@link CheckedStorage}, wrapping CPU memory the caller cannot see), every kernel refuses a
 * tensor whose storage it did not allocate, and the arithmetic is the CPU backend's, so results
 * must be bit-identical to {@link Device#CPU}. Code that casts storage to {@code CpuStorage},
 * mixes a CPU tensor into an op on this device or creates a temporary on the wrong device fails
 * here with a message naming the op, exactly where a CUDA backend would fail later.
 */
public final class CheckedBackend implements Backend {
    /** The checked device. */
    public static final Device DEVICE = new Device(Device.Type.PRIVATE_USE, 0);

    private static final CheckedBackend INSTANCE = new CheckedBackend();
    private static final CpuBackend CPU = CpuBackend.INSTANCE;

    private CheckedBackend() {}

    /** Registers the checked backend (idempotent) and returns its device. */
    public static synchronized Device install() {
        Backends.register(INSTANCE);
        return DEVICE;
    }

    /** Storage of the checked device: CPU memory behind a class no CPU code knows. */
    static final class CheckedStorage extends Storage {
        private final CpuStorage inner;

        CheckedStorage(CpuStorage inner) {
            super(inner.dtype(), inner.length());
            this.inner = inner;
        }

        @Override
        public Device device() {
            return DEVICE;
        }

        @Override
        protected void free() {
            inner.release();
        }
    }

    /** CPU views of checked tensors for the duration of one kernel call. */
    private static final class Host implements AutoCloseable {
        private final Tensor[] views;

        Host(String op, Tensor... ts) {
            views = new Tensor[ts.length];
            for (int i = 0; i < ts.length; i++) {
                views[i] = ts[i] == null ? null : unwrap(op, ts[i]);
            }
        }

        Tensor t(int i) {
            return views[i];
        }

        @Override
        public void close() {
            for (Tensor v : views) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    private static Tensor unwrap(String op, Tensor t) {
        if (!(t.storage() instanceof CheckedStorage cs)) {
            throw new IllegalStateException("checked device: " + op + " got a tensor whose storage ("
                    + t.storage().getClass().getSimpleName() + " on " + t.device() + ") this backend did not allocate");
        }
        if (cs.isFreed()) {
            throw new IllegalStateException("checked device: " + op + " got a tensor whose storage was freed");
        }
        return Tensor.ofStorage(cs.inner, t.shape(), t.strides(), t.offset());
    }

    @Override
    public Device device() {
        return DEVICE;
    }

    @Override
    public Storage allocate(DType dtype, int length) {
        return new CheckedStorage((CpuStorage) CPU.allocate(dtype, length));
    }

    @Override
    public Storage upload(DType dtype, Object hostArray) {
        return new CheckedStorage((CpuStorage) CPU.upload(dtype, hostArray));
    }

    @Override
    public Object download(Tensor t) {
        try (Host h = new Host("download", t)) {
            return CPU.download(h.t(0));
        }
    }

    @Override
    public void fill(Tensor out, double value) {
        try (Host h = new Host("fill", out)) {
            CPU.fill(h.t(0), value);
        }
    }

    @Override
    public void arange(Tensor out, double start, double step) {
        try (Host h = new Host("arange", out)) {
            CPU.arange(h.t(0), start, step);
        }
    }

    @Override
    public void copy(Tensor src, Tensor out) {
        try (Host h = new Host("copy", src, out)) {
            CPU.copy(h.t(0), h.t(1));
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor in, Tensor out) {
        try (Host h = new Host(op.opName(), in, out)) {
            CPU.unary(op, h.t(0), h.t(1));
        }
    }

    @Override
    public void geluErfDerivative(Tensor in, Tensor out) {
        try (Host h = new Host("geluErfDerivative", in, out)) {
            CPU.geluErfDerivative(h.t(0), h.t(1));
        }
    }

    @Override
    public void reluBackward(Tensor grad, Tensor input, Tensor out) {
        try (Host h = new Host("reluBackward", grad, input, out)) {
            CPU.reluBackward(h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        try (Host h = new Host(op.opName(), a, b, out)) {
            CPU.binary(op, h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        try (Host h = new Host("where", cond, a, b, out)) {
            CPU.where(h.t(0), h.t(1), h.t(2), h.t(3));
        }
    }

    @Override
    public void clamp(Tensor in, double min, double max, Tensor out) {
        try (Host h = new Host("clamp", in, out)) {
            CPU.clamp(h.t(0), min, max, h.t(1));
        }
    }

    @Override
    public void reduce(ReduceOp op, Tensor in, int[] dims, int correction, Tensor out) {
        try (Host h = new Host(op.name(), in, out)) {
            CPU.reduce(op, h.t(0), dims, correction, h.t(1));
        }
    }

    @Override
    public void softmax(Tensor in, int dim, boolean log, Tensor out) {
        try (Host h = new Host("softmax", in, out)) {
            CPU.softmax(h.t(0), dim, log, h.t(1));
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        try (Host h = new Host("matmul", a, b, out)) {
            CPU.matmul(h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void indexSelect(Tensor in, int dim, Tensor index, Tensor out) {
        try (Host h = new Host("indexSelect", in, index, out)) {
            CPU.indexSelect(h.t(0), dim, h.t(1), h.t(2));
        }
    }

    @Override
    public void gather(Tensor in, int dim, Tensor index, Tensor out) {
        try (Host h = new Host("gather", in, index, out)) {
            CPU.gather(h.t(0), dim, h.t(1), h.t(2));
        }
    }

    @Override
    public void scatterAdd(Tensor out, int dim, Tensor index, Tensor src) {
        try (Host h = new Host("scatterAdd", out, index, src)) {
            CPU.scatterAdd(h.t(0), dim, h.t(1), h.t(2));
        }
    }

    @Override
    public void sort(Tensor in, int dim, boolean descending, Tensor values, Tensor indices) {
        try (Host h = new Host("sort", in, values, indices)) {
            CPU.sort(h.t(0), dim, descending, h.t(1), h.t(2));
        }
    }

    @Override
    public void random(Generator generator, Distribution distribution, double a, double b, Tensor out) {
        try (Host h = new Host("random", out)) {
            CPU.random(generator, distribution, a, b, h.t(0));
        }
    }

    @Override
    public void randomInt(Generator generator, long low, long high, Tensor out) {
        try (Host h = new Host("randomInt", out)) {
            CPU.randomInt(generator, low, high, h.t(0));
        }
    }

    @Override
    public void quantizeRows(Tensor x, Tensor q, Tensor scales) {
        try (Host h = new Host("quantizeRows", x, q, scales)) {
            CPU.quantizeRows(h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void quantizeRowsWithScale(Tensor x, float scale, Tensor q, Tensor scales) {
        try (Host h = new Host("quantizeRowsWithScale", x, q, scales)) {
            CPU.quantizeRowsWithScale(h.t(0), scale, h.t(1), h.t(2));
        }
    }

    @Override
    public void int8Gemm(Tensor a, Tensor aScale, Tensor b, boolean bIsNK, Tensor bScale, Tensor bias, Tensor out) {
        try (Host h = new Host("int8Gemm", a, aScale, b, bScale, bias, out)) {
            CPU.int8Gemm(h.t(0), h.t(1), h.t(2), bIsNK, h.t(3), h.t(4), h.t(5));
        }
    }

    @Override
    public void im2col(Tensor in, Window2d window, double padValue, Tensor out) {
        try (Host h = new Host("im2col", in, out)) {
            CPU.im2col(h.t(0), window, padValue, h.t(1));
        }
    }

    @Override
    public void col2im(Tensor cols, Window2d window, Tensor out) {
        try (Host h = new Host("col2im", cols, out)) {
            CPU.col2im(h.t(0), window, h.t(1));
        }
    }

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale, Tensor out,
                                 Tensor lse) {
        try (Host h = new Host("attentionForward", q, k, v, keyPadding, out, lse)) {
            CPU.attentionForward(h.t(0), h.t(1), h.t(2), h.t(3), causal, scale, h.t(4), h.t(5));
        }
    }

    @Override
    public void attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor keyPadding,
                                  boolean causal, double scale, Tensor gradQ, Tensor gradK, Tensor gradV) {
        try (Host h = new Host("attentionBackward", gradOut, q, k, v, out, lse, keyPadding, gradQ, gradK, gradV)) {
            CPU.attentionBackward(h.t(0), h.t(1), h.t(2), h.t(3), h.t(4), h.t(5), h.t(6), causal, scale, h.t(7), h.t(8),
                    h.t(9));
        }
    }

    @Override
    public void maxPool2d(Tensor in, Window2d window, Tensor values, Tensor indices) {
        try (Host h = new Host("maxPool2d", in, values, indices)) {
            CPU.maxPool2d(h.t(0), window, h.t(1), h.t(2));
        }
    }

    @Override
    public void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradIn) {
        try (Host h = new Host("maxPool2dBackward", grad, indices, gradIn)) {
            CPU.maxPool2dBackward(h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, int d, Tensor y, Tensor mean, Tensor rstd) {
        try (Host h = new Host("layerNorm", x, weight, bias, y, mean, rstd)) {
            CPU.layerNorm(h.t(0), h.t(1), h.t(2), eps, d, h.t(3), h.t(4), h.t(5));
        }
    }

    @Override
    public void layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, int d, Tensor dx,
                                  Tensor dweight, Tensor dbias) {
        try (Host h = new Host("layerNormBackward", dy, x, weight, mean, rstd, dx, dweight, dbias)) {
            CPU.layerNormBackward(h.t(0), h.t(1), h.t(2), h.t(3), h.t(4), d, h.t(5), h.t(6), h.t(7));
        }
    }

    @Override
    public void lstmCell(Tensor gates, Tensor c, Tensor hc) {
        try (Host h = new Host("lstmCell", gates, c, hc)) {
            CPU.lstmCell(h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void lstmCellBackward(Tensor gates, Tensor c, Tensor hc, Tensor grad, Tensor dGates, Tensor dC) {
        try (Host h = new Host("lstmCellBackward", gates, c, hc, grad, dGates, dC)) {
            CPU.lstmCellBackward(h.t(0), h.t(1), h.t(2), h.t(3), h.t(4), h.t(5));
        }
    }

    @Override
    public void sgdStep(FusedStep.Sgd step, Tensor param, Tensor grad, Tensor momentumBuffer) {
        try (Host h = new Host("sgdStep", param, grad, momentumBuffer)) {
            CPU.sgdStep(step, h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void adamStep(FusedStep.Adam step, Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq) {
        try (Host h = new Host("adamStep", param, grad, expAvg, expAvgSq, maxExpAvgSq)) {
            CPU.adamStep(step, h.t(0), h.t(1), h.t(2), h.t(3), h.t(4));
        }
    }

    @Override
    public void rmspropStep(FusedStep.Rmsprop step, Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg,
                            Tensor momentumBuffer) {
        try (Host h = new Host("rmspropStep", param, grad, squareAvg, gradAvg, momentumBuffer)) {
            CPU.rmspropStep(step, h.t(0), h.t(1), h.t(2), h.t(3), h.t(4));
        }
    }

    @Override
    public void adagradStep(FusedStep.Adagrad step, Tensor param, Tensor grad, Tensor sum) {
        try (Host h = new Host("adagradStep", param, grad, sum)) {
            CPU.adagradStep(step, h.t(0), h.t(1), h.t(2));
        }
    }

    @Override
    public void sumOfSquares(Tensor in, Tensor out) {
        try (Host h = new Host("sumOfSquares", in, out)) {
            CPU.sumOfSquares(h.t(0), h.t(1));
        }
    }

    @Override
    public void scaleAndCheckFinite(Tensor t, double scale, Tensor foundNonFinite) {
        try (Host h = new Host("scaleAndCheckFinite", t, foundNonFinite)) {
            CPU.scaleAndCheckFinite(h.t(0), scale, h.t(1));
        }
    }

    @Override
    public void writeBytes(Tensor t, MemorySegment dst) {
        try (Host h = new Host("writeBytes", t)) {
            CPU.writeBytes(h.t(0), dst);
        }
    }

    @Override
    public void readBytes(MemorySegment src, Tensor out) {
        try (Host h = new Host("readBytes", out)) {
            CPU.readBytes(src, h.t(0));
        }
    }

    /** The checked device shares the CPU's kernel pool. */
    @Override
    public int threads() {
        return CPU.threads();
    }

    @Override
    public int setThreads(int threads) {
        return CPU.setThreads(threads);
    }
}
