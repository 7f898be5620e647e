package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.backend.Backend;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
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
 * The CPU backend: one line per method, handing each op to its family in this package. How each
 * dtype computes is {@link ComputePrecision}'s (F32 fast Vector API kernels, halves through F32,
 * F64 in double end to end, integers in long); generic paths walk strided views through
 * precomputed storage offsets ({@link StridedOffsets}).
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {
        requireVectorApi();
    }

    /**
     * Fails the first tensor op, not some later matmul deep in a kernel, when the JVM was started
     * without the incubator module. Throws an Error rather than an exception: a static initializer
     * rethrows an Error as is, so the flag is on the first line of the trace instead of under an
     * ExceptionInInitializerError.
     */
    private static void requireVectorApi() {
        try {
            Class.forName("jdk.incubator.vector.FloatVector", false, CpuBackend.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            NoClassDefFoundError error = new NoClassDefFoundError("Kiln's CPU kernels need the Vector API module"
                    + " jdk.incubator.vector, which this JVM did not load: start java with"
                    + " --add-modules jdk.incubator.vector (Maven Surefire: argLine; Gradle: jvmArgs or"
                    + " applicationDefaultJvmArgs)");
            error.initCause(e);
            throw error;
        }
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    // ---- storage and copies: CpuCopy

    @Override
    public Storage allocate(DType dtype, int length) {
        return CpuStorage.allocate(dtype, length);
    }

    @Override
    public Storage upload(DType dtype, Object hostArray) {
        return CpuCopy.upload(dtype, hostArray);
    }

    @Override
    public Object download(Tensor t) {
        return CpuCopy.download(t);
    }

    @Override
    public void fill(Tensor out, double value) {
        CpuCopy.fill(out, value);
    }

    @Override
    public void arange(Tensor out, double start, double step) {
        CpuCopy.arange(out, start, step);
    }

    @Override
    public void copy(Tensor src, Tensor out) {
        CpuCopy.copy(src, out);
    }

    // ---- elementwise: CpuElementwise, CpuComparisons

    @Override
    public void unary(UnaryOp op, Tensor in, Tensor out) {
        CpuElementwise.unary(UnaryKernel.of(op), in, out);
    }

    @Override
    public void geluErfDerivative(Tensor in, Tensor out) {
        CpuElementwise.unary(UnaryKernel.GELU_ERF_DERIVATIVE, in, out);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (op.isComparison()) {
            CpuComparisons.compare(op, a, b, out);
        } else {
            CpuElementwise.binary(BinaryKernel.of(op), a, b, out);
        }
    }

    @Override
    public void reluBackward(Tensor grad, Tensor input, Tensor out) {
        CpuElementwise.binary(BinaryKernel.RELU_BACKWARD, grad, input, out);
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        CpuElementwise.where(cond, a, b, out);
    }

    @Override
    public void clamp(Tensor in, double min, double max, Tensor out) {
        CpuElementwise.clamp(in, min, max, out);
    }

    // ---- reductions: CpuReductions

    @Override
    public void reduce(ReduceOp op, Tensor in, int[] dims, int correction, Tensor out) {
        CpuReductions.reduce(op, in, dims, correction, out);
    }

    @Override
    public void softmax(Tensor in, int dim, boolean log, Tensor out) {
        CpuReductions.softmax(in, dim, log, out);
    }

    // ---- matrix products: CpuMatmul

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        CpuMatmul.matmul(a, b, out);
    }

    // ---- indexing and sorting: CpuIndexing

    @Override
    public void indexSelect(Tensor in, int dim, Tensor index, Tensor out) {
        CpuIndexing.indexSelect(in, dim, index, out);
    }

    @Override
    public void gather(Tensor in, int dim, Tensor index, Tensor out) {
        CpuIndexing.gather(in, dim, index, out);
    }

    @Override
    public void scatterAdd(Tensor out, int dim, Tensor index, Tensor src) {
        CpuIndexing.scatterAdd(out, dim, index, src);
    }

    @Override
    public void sort(Tensor in, int dim, boolean descending, Tensor values, Tensor indices) {
        CpuIndexing.sort(in, dim, descending, values, indices);
    }

    // ---- random fills: CpuRandom

    @Override
    public void random(Generator generator, Distribution distribution, double a, double b, Tensor out) {
        CpuRandom.random(generator, distribution, a, b, out);
    }

    @Override
    public void randomInt(Generator generator, long low, long high, Tensor out) {
        CpuRandom.randomInt(generator, low, high, out);
    }

    // ---- sliding windows: CpuWindows

    @Override
    public void quantizeRows(Tensor x, Tensor q, Tensor scales) {
        CpuQuantized.quantizeRows(x, q, scales);
    }

    @Override
    public void quantizeRowsWithScale(Tensor x, float scale, Tensor q, Tensor scales) {
        CpuQuantized.quantizeRowsWithScale(x, scale, q, scales);
    }

    @Override
    public void int8Gemm(Tensor a, Tensor aScale, Tensor b, boolean bIsNK, Tensor bScale, Tensor bias, Tensor out) {
        CpuQuantized.int8Gemm(a, aScale, b, bIsNK, bScale, bias, out);
    }

    @Override
    public void im2col(Tensor in, Window2d window, double padValue, Tensor out) {
        CpuWindows.im2col(in, window, padValue, out);
    }

    @Override
    public void col2im(Tensor cols, Window2d window, Tensor out) {
        CpuWindows.col2im(cols, window, out);
    }

    @Override
    public void maxPool2d(Tensor in, Window2d window, Tensor values, Tensor indices) {
        CpuWindows.maxPool2d(in, window, values, indices);
    }

    @Override
    public void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradIn) {
        CpuWindows.maxPool2dBackward(grad, indices, gradIn);
    }

    // ---- attention: CpuAttention

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale,
                                 Tensor out, Tensor lse) {
        CpuAttention.attentionForward(q, k, v, keyPadding, causal, scale, out, lse);
    }

    @Override
    public void attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse,
                                  Tensor keyPadding, boolean causal, double scale,
                                  Tensor gradQ, Tensor gradK, Tensor gradV) {
        CpuAttention.attentionBackward(gradOut, q, k, v, out, lse, keyPadding, causal, scale, gradQ, gradK, gradV);
    }

    // ---- fused layers: CpuFusedLayers

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, int d, Tensor y, Tensor mean, Tensor rstd) {
        CpuFusedLayers.layerNorm(x, weight, bias, eps, d, y, mean, rstd);
    }

    @Override
    public void layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, int d, Tensor dx,
                                  Tensor dweight, Tensor dbias) {
        CpuFusedLayers.layerNormBackward(dy, x, weight, mean, rstd, d, dx, dweight, dbias);
    }

    @Override
    public void lstmCell(Tensor gates, Tensor c, Tensor hc) {
        CpuFusedLayers.lstmCell(gates, c, hc);
    }

    @Override
    public void lstmCellBackward(Tensor gates, Tensor c, Tensor hc, Tensor grad, Tensor dGates, Tensor dC) {
        CpuFusedLayers.lstmCellBackward(gates, c, hc, grad, dGates, dC);
    }

    // ---- training, bulk I/O, settings: CpuTraining, CpuBulkIo, CpuParallel

    @Override
    public void sgdStep(FusedStep.Sgd step, Tensor param, Tensor grad, Tensor momentumBuffer) {
        CpuTraining.sgd(step, param, grad, momentumBuffer);
    }

    @Override
    public void adamStep(FusedStep.Adam step, Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq) {
        CpuTraining.adam(step, param, grad, expAvg, expAvgSq, maxExpAvgSq);
    }

    @Override
    public void rmspropStep(FusedStep.Rmsprop step, Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg,
                            Tensor momentumBuffer) {
        CpuTraining.rmsprop(step, param, grad, squareAvg, gradAvg, momentumBuffer);
    }

    @Override
    public void adagradStep(FusedStep.Adagrad step, Tensor param, Tensor grad, Tensor sum) {
        CpuTraining.adagrad(step, param, grad, sum);
    }

    @Override
    public void sumOfSquares(Tensor in, Tensor out) {
        CpuTraining.sumOfSquares(in, out);
    }

    @Override
    public void scaleAndCheckFinite(Tensor t, double scale, Tensor foundNonFinite) {
        CpuTraining.scaleAndCheckFinite(t, scale, foundNonFinite);
    }

    @Override
    public void writeBytes(Tensor t, MemorySegment dst) {
        CpuBulkIo.write(t, dst);
    }

    @Override
    public void readBytes(MemorySegment src, Tensor out) {
        CpuBulkIo.read(src, out);
    }

    @Override
    public int threads() {
        return CpuParallel.threads();
    }

    @Override
    public int setThreads(int threads) {
        int before = CpuParallel.threads();
        CpuParallel.setThreads(threads);
        return before;
    }
}
