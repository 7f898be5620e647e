package dev.kiln.autograd;

import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;

/**
 * A tensor that remembers how it was computed, for reverse-mode differentiation (micrograd's
 * {@code Value}, torch's autograd-tracked {@code Tensor}).
 *
 * <p>A leaf ({@link #leaf}) is a parameter or input; it accumulates {@link #grad()} over
 * {@link #backward} calls until {@link #zeroGrad}. Every op on a Var whose inputs require gradients
 * records a node (inputs + a backward closure); under {@link NoGrad}, or when no input requires a
 * gradient, it records nothing.
 *
 * <p>{@link #backward} walks the graph in reverse topological order without recursion (a graph
 * of any depth is fine) and then frees it: saved tensors and closures are dropped unless
 * {@code retainGraph} is set, and a second backward through a freed node throws
 * {@link IllegalStateException}.
 *
 * <p>Memory: a recorded graph holds only what backward needs (the tensors each op's backward
 * saved, plus leaves), not every intermediate value: an op result whose Var the caller drops is
 * garbage unless a backward saved it, as in PyTorch. Intermediate tensors of backward itself are
 * released per op (see BackwardEngine). Not thread-safe: build and differentiate a graph on one
 * thread.
 */
public final class Var {
    private final Tensor value;
    private final boolean requiresGrad;
    /** Null for leaves and for results that do not require a gradient. */
    private final Node node;
    private Tensor grad;
    /** Hooks of a leaf; an op result's hooks live on its node. */
    private List<java.util.function.UnaryOperator<Tensor>> hooks;

    private Var(Tensor value, boolean requiresGrad, Node node) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.node = node;
    }

    /** A leaf (parameter or input). Gradients accumulate into {@link #grad()} when {@code requiresGrad}. */
    public static Var leaf(Tensor value, boolean requiresGrad) {
        if (requiresGrad && !value.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("leaf: only floating-point tensors can require gradients, got " + value.dtype());
        }
        return new Var(value, requiresGrad, null);
    }

    /** A constant: a leaf that requires no gradient. */
    public static Var constant(Tensor value) {
        return new Var(value, false, null);
    }

    /**
     * The result of an op: records a node when grad mode is on and any input requires a gradient,
     * else returns a plain constant. Every op family builds its results through this hook, which is
     * also where {@link AnomalyMode} checks forward outputs and records creation traces.
     */
    static Var op(String name, Tensor value, Backward backward, Var... inputs) {
        AnomalyMode.Setting anomaly = AnomalyMode.current();
        if (anomaly == AnomalyMode.Setting.TRACE_AND_CHECK) {
            AnomalyMode.checkForward(name, value, inputs);
        }
        if (NoGrad.isGradEnabled()) {
            for (Var in : inputs) {
                if (in.requiresGrad) {
                    Node node = new Node(name, inputs.clone(), backward, value);
                    if (anomaly != null) {
                        node.creationTrace = AnomalyMode.creationTrace();
                    }
                    return new Var(value, true, node);
                }
            }
        }
        return new Var(value, false, null);
    }

    public Tensor value() {
        return value;
    }

    public Shape shape() {
        return value.shape();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True for leaves (including constants); false for recorded op results. */
    public boolean isLeaf() {
        return node == null;
    }

    /** The accumulated gradient of a leaf (same shape as {@link #value()}), or null before any backward. */
    public Tensor grad() {
        return grad;
    }

    /** Drops the accumulated gradient (next backward starts from zero). */
    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    /** The same value as a constant cut from the graph (shares storage with this Var's value). */
    public Var detach() {
        return new Var(value, false, null);
    }

    /** Name of the op that produced this Var, or null for a leaf. Package-private: for tests and debugging. */
    String opName() {
        return node == null ? null : node.op;
    }

    /** Backpropagates from a single-element result (a loss): seeds the gradient with one. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalArgumentException("backward: implicit gradient only for single-element outputs, got shape "
                    + value.shape() + "; pass a gradient with backward(Tensor)");
        }
        backward(value.newFull(1, value.dtype(), value.shape().toArray()), false);
    }

    /** Backpropagates {@code gradient} (this Var's shape) and frees the graph. */
    public void backward(Tensor gradient) {
        backward(gradient, false);
    }

    /**
     * Backpropagates {@code gradient} (same shape as this Var), accumulating into the
     * {@link #grad()} of every leaf that requires one. Frees the graph unless {@code retainGraph}.
     *
     * @throws IllegalStateException when this Var does not require a gradient, when part of the
     *     graph was freed by an earlier backward, or when a tensor the graph saved was modified in place
     */
    public void backward(Tensor gradient, boolean retainGraph) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this Var does not require a gradient (no input requires one, "
                    + "or it was computed under NoGrad)");
        }
        if (!gradient.shape().equals(value.shape())) {
            throw new IllegalArgumentException("backward: gradient shape " + gradient.shape()
                    + " does not match the output shape " + value.shape());
        }
        BackwardEngine.run(List.of(this), List.of(gradient), retainGraph, null);
    }

    Node node() {
        return node;
    }

    /** Adds {@code g} into this leaf's gradient. */
    void accumulate(Tensor g) {
        // The gradient outlives any TensorScope the backward call runs in (a training step's), so it
        // escapes it; zeroGrad() closes it.
        if (grad == null) {
            // Own a contiguous copy: g may be an expand/broadcast view of some other tensor.
            grad = TensorScope.escape(g.copy());
        } else {
            Tensor sum = TensorScope.escape(grad.add(g));
            grad.close();
            grad = sum;
        }
    }

    // ---------------------------------------------------------------- hooks and retained gradients

    /** A registered gradient hook; {@link #remove} unregisters it. */
    public interface HookHandle {
        void remove();
    }

    /**
     * Registers {@code hook}, called with this Var's gradient each time a backward pass (or
     * {@link Autograd#grad}) computes it, before it is used: before accumulation for a leaf, before
     * flowing into the inputs of an op result. The hook may return a replacement gradient (same
     * shape) or null to keep it; hooks run in registration order, each seeing the previous one's
     * result (torch's {@code Tensor.register_hook}).
     */
    public HookHandle registerHook(java.util.function.UnaryOperator<Tensor> hook) {
        if (!requiresGrad) {
            throw new IllegalStateException("registerHook: this Var does not require a gradient, so no hook would run");
        }
        List<java.util.function.UnaryOperator<Tensor>> list;
        if (node != null) {
            if (node.hooks == null) {
                node.hooks = new ArrayList<>();
            }
            list = node.hooks;
        } else {
            if (hooks == null) {
                hooks = new ArrayList<>();
            }
            list = hooks;
        }
        list.add(hook);
        return () -> list.remove(hook);
    }

    /** Runs this leaf's hooks on its gradient. */
    Tensor runHooks(Tensor g) {
        return runHooks(hooks, g, value.shape());
    }

    static Tensor runHooks(List<java.util.function.UnaryOperator<Tensor>> hooks, Tensor g, Shape shape) {
        if (hooks == null) {
            return g;
        }
        for (java.util.function.UnaryOperator<Tensor> h : List.copyOf(hooks)) {
            Tensor r = h.apply(g);
            if (r != null) {
                if (!r.shape().equals(shape)) {
                    throw new IllegalStateException("gradient hook returned shape " + r.shape() + " for a Var of shape " + shape);
                }
                g = r;
            }
        }
        return g;
    }

    /**
     * Makes this op result keep its gradient in {@link #grad()} on the next backward passes (a
     * leaf always does). torch's {@code retain_grad()}: for inspecting intermediate gradients.
     */
    public Var retainGrad() {
        if (!requiresGrad) {
            throw new IllegalStateException("retainGrad: this Var does not require a gradient");
        }
        if (node != null) {
            node.retainTarget = this;
        }
        return this;
    }

    @Override
    public String toString() {
        return "Var(" + value.shape() + " " + value.dtype() + (node != null ? ", op=" + node.op
                : requiresGrad ? ", leaf requiresGrad" : "") + ")";
    }

    // ---------------------------------------------------------------- ops (formulas live in the *Ops families)

    public Var add(Var other) { return ElementwiseOps.add(this, other); }
    public Var sub(Var other) { return ElementwiseOps.sub(this, other); }
    public Var mul(Var other) { return ElementwiseOps.mul(this, other); }
    public Var div(Var other) { return ElementwiseOps.div(this, other); }
    public Var add(double s) { return ElementwiseOps.add(this, s); }
    public Var sub(double s) { return ElementwiseOps.add(this, -s); }
    public Var mul(double s) { return ElementwiseOps.mul(this, s); }
    public Var div(double s) { return ElementwiseOps.mul(this, 1.0 / s); }
    public Var pow(double p) { return ElementwiseOps.pow(this, p); }
    public Var neg() { return ElementwiseOps.neg(this); }
    public Var exp() { return ElementwiseOps.exp(this); }
    public Var log() { return ElementwiseOps.log(this); }
    public Var sqrt() { return ElementwiseOps.sqrt(this); }
    public Var tanh() { return ElementwiseOps.tanh(this); }
    public Var sigmoid() { return ElementwiseOps.sigmoid(this); }
    public Var relu() { return ElementwiseOps.relu(this); }
    public Var silu() { return ElementwiseOps.silu(this); }
    /** The exact GELU, {@code x * Phi(x)} (torch's default). */
    public Var gelu() { return ElementwiseOps.gelu(this); }
    public Var erf() { return ElementwiseOps.erf(this); }
    public Var geluTanh() { return ElementwiseOps.geluTanh(this); }
    public Var abs() { return ElementwiseOps.abs(this); }
    public Var log1p() { return ElementwiseOps.log1p(this); }
    public Var rsqrt() { return ElementwiseOps.rsqrt(this); }
    public Var sin() { return ElementwiseOps.sin(this); }
    public Var cos() { return ElementwiseOps.cos(this); }
    public Var maximum(Var other) { return ElementwiseOps.extremum(this, other, true); }
    public Var minimum(Var other) { return ElementwiseOps.extremum(this, other, false); }
    /** {@code cond ? a : b} with broadcasting; cond is a BOOL tensor (not differentiated). */
    public static Var where(Tensor cond, Var a, Var b) { return ElementwiseOps.where(cond, a, b); }
    public Var logsumexp(int[] dims, boolean keepdim) { return ReductionOps.logsumexp(this, dims, keepdim); }
    public Var narrow(int dim, int start, int length) { return ShapeOps.narrow(this, dim, start, length); }
    public Var squeeze(int dim) { return ShapeOps.squeeze(this, dim); }
    public static Var cat(java.util.List<Var> parts, int dim) { return ShapeOps.cat(parts, dim); }

    public Var pow(Var exponent) { return ElementwiseOps.pow(this, exponent); }
    /** Clamps to [min, max]; pass Double.NaN for an open side. */
    public Var clamp(double min, double max) { return ElementwiseOps.clamp(this, min, max); }
    /** {@code value} where the BOOL {@code mask} (broadcast to this shape) is true. */
    public Var maskedFill(Tensor mask, double value) { return ElementwiseOps.maskedFill(this, mask, value); }
    /** A differentiable dtype cast (the gradient is cast back). */
    public Var to(dev.kiln.tensor.DType dtype) { return ElementwiseOps.to(this, dtype); }
    /** torch.amax: the gradient is shared by every element equal to the maximum. */
    public Var max() { return ReductionOps.extremum(this, null, false, true); }
    public Var max(int[] dims, boolean keepdim) { return ReductionOps.extremum(this, dims, keepdim, true); }
    public Var min() { return ReductionOps.extremum(this, null, false, false); }
    public Var min(int[] dims, boolean keepdim) { return ReductionOps.extremum(this, dims, keepdim, false); }
    /** Variance with {@code correction} (1 = unbiased, 0 = population); dims null = all. */
    public Var var(int[] dims, int correction, boolean keepdim) { return ReductionOps.var(this, dims, correction, keepdim); }
    public Var std(int[] dims, int correction, boolean keepdim) { return ReductionOps.std(this, dims, correction, keepdim); }
    public Var slice(int dim, int start, int end, int step) { return ShapeOps.slice(this, dim, start, end, step); }
    public static Var stack(java.util.List<Var> parts, int dim) { return ShapeOps.stack(parts, dim); }
    public java.util.List<Var> split(int splitSize, int dim) { return ShapeOps.split(this, splitSize, dim); }
    public java.util.List<Var> chunk(int chunks, int dim) { return ShapeOps.chunk(this, chunks, dim); }
    /** All dims from {@code startDim} on merged into one. */
    public Var flatten(int startDim) {
        int d = Shape.normalizeDim(startDim, value.rank(), "flatten");
        int[] s = java.util.Arrays.copyOf(value.shape().toArray(), d + 1);
        s[d] = -1;
        return reshape(s);
    }
    /** {@code this} with {@code src} added at {@code index} along {@code dim}; differentiable in both. */
    public Var scatterAdd(int dim, Tensor index, Var src) { return IndexingOps.scatterAdd(this, dim, index, src); }

    /** Every sliding window of this [N, C, H, W] image as a column [N, C*kh*kw, OH*OW] (torch's F.unfold). */
    public Var im2col(dev.kiln.tensor.ops.Window2d window, double padValue) { return WindowOps.im2col(this, window, padValue); }
    /** {@link Tensor#im2colWide}: the columns of all images side by side, [C*kh*kw, N*OH*OW]. */
    public Var im2colWide(dev.kiln.tensor.ops.Window2d window) { return WindowOps.im2colWide(this, window); }
    /** Columns [N, C*kh*kw, L] summed back into an image [N, C, height, width] (torch's F.fold). */
    public Var col2im(int height, int width, dev.kiln.tensor.ops.Window2d window) { return WindowOps.col2im(this, height, width, window); }

    /** Zero gradient everywhere (piecewise constant). */
    public Var sign() { return ElementwiseOps.sign(this); }
    public Var squeeze() { return ShapeOps.squeezeAll(this); }
    /** Transpose of a matrix (rank &lt;= 2). */
    public Var t() { return value.rank() < 2 ? this : transpose(0, 1); }
    public Var tril(int diagonal) { return ShapeOps.triangle(this, diagonal, true); }
    public Var triu(int diagonal) { return ShapeOps.triangle(this, diagonal, false); }
    public Var contiguous() { return ShapeOps.contiguous(this); }
    /** The k largest (or smallest) values along dim, differentiable, and their I64 indices. */
    public TopK topk(int k, int dim, boolean largest) { return IndexingOps.topk(this, k, dim, largest); }

    /** Result of {@link #topk}: differentiable values and constant indices. */
    public record TopK(Var values, Tensor indices) {}

    public Var sum() { return ReductionOps.sum(this, null, false); }
    public Var sum(int[] dims, boolean keepdim) { return ReductionOps.sum(this, dims, keepdim); }
    public Var mean() { return ReductionOps.mean(this, null, false); }
    public Var mean(int[] dims, boolean keepdim) { return ReductionOps.mean(this, dims, keepdim); }
    public Var softmax(int dim) { return ReductionOps.softmax(this, dim); }
    public Var logSoftmax(int dim) { return ReductionOps.logSoftmax(this, dim); }

    public Var matmul(Var other) { return MatmulOps.matmul(this, other); }

    public Var reshape(int... shape) { return ShapeOps.reshape(this, shape); }
    public Var permute(int... order) { return ShapeOps.permute(this, order); }
    public Var transpose(int dim0, int dim1) { return ShapeOps.transpose(this, dim0, dim1); }
    public Var unsqueeze(int dim) { return ShapeOps.unsqueeze(this, dim); }
    public Var expand(int... sizes) { return ShapeOps.expand(this, sizes); }

    /** Differentiable in this Var only; {@code index} is an integer tensor. */
    public Var indexSelect(int dim, Tensor index) { return IndexingOps.indexSelect(this, dim, index); }
    /** Differentiable in this Var only; {@code index} is an integer tensor of this Var's rank. */
    public Var gather(int dim, Tensor index) { return IndexingOps.gather(this, dim, index); }
    /** Rows of {@code weight} [V, D] picked by integer {@code indices} [...] -> [..., D]; differentiable in the weight. */
    public static Var embedding(Var weight, Tensor indices) { return IndexingOps.embedding(weight, indices); }
}
