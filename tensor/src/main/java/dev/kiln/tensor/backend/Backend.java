package dev.kiln.tensor.backend;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.FusedStep;
import dev.kiln.tensor.ops.ReduceOp;
import dev.kiln.tensor.ops.UnaryOp;
import dev.kiln.tensor.ops.Window2d;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.Storage;
import java.lang.foreign.MemorySegment;

/**
 * The kernels of one device. Ops in {@code dev.kiln.tensor} validate arguments, work out output
 * shapes and dtypes, allocate outputs and then call exactly one of these methods; a backend trusts
 * its callers (shapes already agree) and only computes.
 *
 * <p>Conventions: outputs are freshly allocated, contiguous tensors of the documented shape and
 * dtype; inputs may be arbitrary strided views (broadcast inputs have stride 0) of any dtype.
 */
public interface Backend {
    Device device();

    /** Uninitialised storage for {@code length} elements. */
    Storage allocate(DType dtype, int length);

    /** Storage holding a copy of a host array ({@code float[]}, {@code long[]}, ...) of the dtype's element type. */
    Storage upload(DType dtype, Object hostArray);

    /** A contiguous host array with the tensor's elements in row-major order (element type as in {@link #upload}). */
    Object download(Tensor t);

    /** Every element of {@code out} = {@code value}, rounded to out's dtype. */
    void fill(Tensor out, double value);

    /** {@code out[i] = start + i * step} over the flattened output. */
    void arange(Tensor out, double start, double step);

    /** Copies (and converts) {@code src} into {@code out}; same shape. */
    void copy(Tensor src, Tensor out);

    void unary(UnaryOp op, Tensor in, Tensor out);

    /**
     * The exact GELU's derivative Φ(x) + x·φ(x), gelu's backward in one pass (not a user op, so not
     * a {@link UnaryOp}); out is in's dtype when that is a float dtype, else F32.
     */
    void geluErfDerivative(Tensor in, Tensor out);

    /** {@code a} and {@code b} are already expanded to out's shape. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /**
     * ReLU's backward in one pass (not a user op, so not a {@link BinaryOp}): out = grad where
     * input &gt; 0, else 0 (a NaN input gives 0); both already expanded to out's shape, out of their
     * promoted dtype (never BOOL).
     */
    void reluBackward(Tensor grad, Tensor input, Tensor out);

    /** out = cond ? a : b; all already expanded to out's shape. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    /** Clamps to [min, max] (either may be NaN meaning unbounded). */
    void clamp(Tensor in, double min, double max, Tensor out);

    /**
     * Reduces {@code dims} (sorted, distinct) of {@code in}; out has in's shape with those dims set
     * to 1. VAR uses {@code correction} (1 = unbiased).
     */
    void reduce(ReduceOp op, Tensor in, int[] dims, int correction, Tensor out);

    /** Softmax (or log-softmax) along {@code dim}; out has in's shape. */
    void softmax(Tensor in, int dim, boolean log, Tensor out);

    /** Batched matrix product: a is [B..., m, k], b is [B..., k, n] (batch dims equal after expand), out [B..., m, n]. */
    void matmul(Tensor a, Tensor b, Tensor out);

    /** out = in.index_select(dim, index) where index is 1-D I64/I32 with values already bounds-checked. */
    void indexSelect(Tensor in, int dim, Tensor index, Tensor out);

    /** out[...i_dim...] = in[...index[...]...]: torch.gather semantics; index has out's shape. */
    void gather(Tensor in, int dim, Tensor index, Tensor out);

    /** out (a contiguous copy of the self tensor) gets out[index[...] at dim] += src[...]. */
    void scatterAdd(Tensor out, int dim, Tensor index, Tensor src);

    /** Sorts along {@code dim} (stable); values has in's dtype, indices I64. */
    void sort(Tensor in, int dim, boolean descending, Tensor values, Tensor indices);

    /** Fills out (F64/F32/F16/BF16) with U[a, b) or N(mean a, std b). */
    void random(Generator generator, Distribution distribution, double a, double b, Tensor out);

    /**
     * Fills out (an integer dtype) with integers uniform in [low, high). Bounds are longs, not
     * doubles, so they stay exact beyond 2^53.
     */
    void randomInt(Generator generator, long low, long high, Tensor out);

    /**
     * im2col: in is [N, C, H, W]; out is [N, C*kh*kw, OH*OW] with row {@code (c*kh + i)*kw + j}
     * holding tap (i, j) of channel c at every window position; padding reads {@code padValue}.
     * out may be any view of that shape (a permuted [C*kh*kw, N, L] buffer, for one GEMM over the
     * whole batch), not only a contiguous tensor.
     */
    void im2col(Tensor in, Window2d window, double padValue, Tensor out);

    /**
     * col2im, the adjoint of {@link #im2col}: cols [N, C*kh*kw, OH*OW] (any view of that shape)
     * summed into out [N, C, H, W] (contiguous).
     */
    void col2im(Tensor cols, Window2d window, Tensor out);

    /**
     * Fused scaled-dot-product attention (see {@code dev.kiln.tensor.Attention}): q [B, H, Tq, D],
     * k and v [B, Hkv, Tk, D] (F32, any strides, H a multiple of Hkv), keyPadding BOOL [B, Tk] or
     * null (true = ignore that key). Writes out [B, H, Tq, D] and lse [B, H, Tq] (both F32).
     */
    void attentionForward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale,
                          Tensor out, Tensor lse);

    /**
     * Backward of {@link #attentionForward} from its inputs, its out and lse, and gradOut (F32,
     * out's shape): writes gradQ (q's shape), gradK and gradV (k's shape, F32).
     */
    void attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor keyPadding,
                           boolean causal, double scale, Tensor gradQ, Tensor gradK, Tensor gradV);

    /**
     * Max pooling: in [N, C, H, W] -> values [N, C, OH, OW] (in's dtype) and indices (I64, the
     * flat position h*W + w of each maximum in its plane, as torch returns).
     */
    void maxPool2d(Tensor in, Window2d window, Tensor values, Tensor indices);

    /** gradIn [N, C, H, W] (zeroed here) += grad [N, C, OH, OW] scattered to the positions in indices. */
    void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradIn);

    /**
     * Layer norm over rows of length {@code d} of contiguous F32 x (weight/bias contiguous F32 [d]
     * or null); y like x, mean/rstd [rows].
     */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, int d, Tensor y, Tensor mean, Tensor rstd);

    /** Its backward: dx (like x), dweight/dbias ([d], or null when not wanted); all F32 contiguous. */
    void layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, int d, Tensor dx, Tensor dweight,
                           Tensor dbias);

    /**
     * The elementwise part of an LSTM step ({@link dev.kiln.tensor.kernels.cpu.LstmCellKernels}):
     * gates [N, 4H] pre-activations and c [N, H] to hc [N, 2H] = [h', c']; all contiguous F32.
     */
    void lstmCell(Tensor gates, Tensor c, Tensor hc);

    /** Its backward: dGates [N, 4H] and dC [N, H] from grad [N, 2H] = [dh', dc']; all contiguous F32. */
    void lstmCellBackward(Tensor gates, Tensor c, Tensor hc, Tensor grad, Tensor dGates, Tensor dC);

    // ---------------------------------------------------------------- int8 inference

    /**
     * Symmetric per-row int8 quantization ({@link dev.kiln.tensor.kernels.cpu.Int8Quantize}): x
     * contiguous F32 [rows, cols] into q contiguous I8 [rows, cols] and scales F32 [rows].
     */
    void quantizeRows(Tensor x, Tensor q, Tensor scales);

    /**
     * Static int8 quantization with one fixed {@code scale} (≥ 0, finite) for every row
     * ({@link dev.kiln.tensor.kernels.cpu.Int8Quantize#quantizeRowsWithScale}): x contiguous F32
     * [rows, cols] into q contiguous I8 [rows, cols]; scales F32 [rows] is filled with {@code scale}.
     */
    void quantizeRowsWithScale(Tensor x, float scale, Tensor q, Tensor scales);

    /**
     * Int8 GEMM dequantized to F32 ({@link dev.kiln.tensor.kernels.cpu.Int8Gemm}): a I8 [m, k] with
     * aScale F32 [m]; b I8 [n, k] when {@code bIsNK}, else [k, n], with bScale F32 [n]; bias F32 [n]
     * or null; out F32 [m, n] = (a·b) · aScale[i] · bScale[j] + bias[j]. All contiguous.
     */
    void int8Gemm(Tensor a, Tensor aScale, Tensor b, boolean bIsNK, Tensor bScale, Tensor bias, Tensor out);

    // ---------------------------------------------------------------- training: fused in-place updates

    /**
     * One SGD update in place ({@link FusedStep.Sgd}): param, grad and momentumBuffer (null
     * without momentum) are contiguous F32 tensors of one length on this device.
     */
    void sgdStep(FusedStep.Sgd step, Tensor param, Tensor grad, Tensor momentumBuffer);

    /** One Adam/AdamW update in place; maxExpAvgSq is null unless AMSGrad. Tensors as in {@link #sgdStep}. */
    void adamStep(FusedStep.Adam step, Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq);

    /** One RMSprop update in place; gradAvg (centered) and momentumBuffer may be null. Tensors as in {@link #sgdStep}. */
    void rmspropStep(FusedStep.Rmsprop step, Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg,
                     Tensor momentumBuffer);

    /** One Adagrad update in place. Tensors as in {@link #sgdStep}. */
    void adagradStep(FusedStep.Adagrad step, Tensor param, Tensor grad, Tensor sum);

    /**
     * {@code out} (F64, one element, on this device) = the sum of the squares of {@code in}'s
     * elements (any floating dtype, any strides), accumulated in double: gradient-norm clipping
     * adds these per tensor on the device and reads one number at the end.
     */
    void sumOfSquares(Tensor in, Tensor out);

    /**
     * {@code t *= scale} in place (t contiguous, floating point), rounding once to t's dtype, and
     * sets {@code foundNonFinite} (F32, one element) to 1 when any result is inf or NaN; leaves it
     * as it is otherwise, so one flag collects a whole set of gradients (torch's
     * {@code _amp_foreach_non_finite_check_and_unscale_}).
     */
    void scaleAndCheckFinite(Tensor t, double scale, Tensor foundNonFinite);

    // ---------------------------------------------------------------- bulk I/O

    /**
     * Writes t's elements in row-major order as little-endian values of t's dtype (safetensors'
     * layout) into {@code dst}, whose size is {@code numel * dtype.byteSize()}; dst is host memory
     * (a mapped file region, a heap or native segment).
     */
    void writeBytes(Tensor t, MemorySegment dst);

    /** The reverse of {@link #writeBytes}: fills contiguous {@code out} from little-endian values in {@code src}. */
    void readBytes(MemorySegment src, Tensor out);

    // ---------------------------------------------------------------- settings

    /** Host threads this device's kernels may use (1 for devices whose kernels run elsewhere). */
    int threads();

    /**
     * Sets {@link #threads()}, clamped to what the device has; returns the previous value so a
     * caller can restore it. A device whose kernels do not run on host threads ignores it.
     */
    int setThreads(int threads);

    /** Random distributions {@link #random} draws from. */
    enum Distribution { UNIFORM, NORMAL }
}
