package dev.kiln.nn.transformer;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.attention.Attention;
import dev.kiln.nn.attention.MultiheadAttention;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;

/**
 * Step-by-step decoding of an {@link EncoderDecoder} with cached keys and values: each step feeds
 * one new token per row and computes only that position, instead of rerunning the decoder over
 * the whole prefix as {@link EncoderDecoder#decode} does. The cross-attention keys and values of
 * the memory are projected once per source, at construction; the self-attention keys and values
 * of the decoded positions accumulate, one [rows, heads, t, headDim] pair per layer.
 *
 * <p>Rows can be dropped, duplicated and reordered between steps (greedy decoding drops finished
 * rows, beam search keeps the best extensions): {@link #step} takes, for each new row, the row of
 * the previous step it continues, and the caches are gathered accordingly. At the first step that
 * index is the source's.
 *
 * <p>Inference only: runs without a graph and without dropout (call {@code model.eval()}; the
 * result equals {@code decode} in eval mode). Target tokens equal to the padding id are not
 * masked, since a decoder never feeds padding to itself. Not thread-safe; close it to free the
 * caches.
 */
public final class IncrementalDecoder implements AutoCloseable {
    private final EncoderDecoder model;
    private final int sources;
    private final int heads;
    private final int headDim;
    private final int dModel;
    /** Per layer, cross-attention keys/values of each source [N, H, S, hd]. */
    private final Tensor[] crossK;
    private final Tensor[] crossV;
    private final Tensor srcPad;
    /** The same gathered for the current rows, and the self-attention caches [R, H, t, hd]. */
    private Tensor[] rowCrossK;
    private Tensor[] rowCrossV;
    private Tensor rowPad;
    private Tensor[] selfK;
    private Tensor[] selfV;
    private int rows = -1;
    private int length;

    /**
     * @param memory the encoder output [N, S, dModel] of {@link EncoderDecoder#encode}
     * @param srcPaddingMask BOOL [N, S] (true at padding) or null
     */
    public IncrementalDecoder(EncoderDecoder model, Tensor memory, Tensor srcPaddingMask) {
        EncoderDecoder.Config c = model.config;
        if (memory.rank() != 3 || memory.size(2) != c.dModel()) {
            throw new IllegalArgumentException("IncrementalDecoder: memory must be [N, S, " + c.dModel() + "], got " + memory.shape());
        }
        if (srcPaddingMask != null && (srcPaddingMask.rank() != 2 || srcPaddingMask.size(0) != memory.size(0)
                || srcPaddingMask.size(1) != memory.size(1))) {
            throw new IllegalArgumentException("IncrementalDecoder: srcPaddingMask must be [" + memory.size(0) + ", " + memory.size(1)
                    + "], got " + srcPaddingMask.shape());
        }
        this.model = model;
        this.sources = memory.size(0);
        this.heads = c.nHeads();
        this.dModel = c.dModel();
        this.headDim = dModel / heads;
        int layers = model.decoder.size();
        crossK = new Tensor[layers];
        crossV = new Tensor[layers];
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Var mem = Var.constant(memory);
            for (int i = 0; i < layers; i++) {
                MultiheadAttention cross = model.decoder.get(i).multiheadAttn;
                crossK[i] = TensorScope.escape(project(cross, mem, 1).value().contiguous());
                crossV[i] = TensorScope.escape(project(cross, mem, 2).value().contiguous());
            }
            srcPad = srcPaddingMask == null ? null : TensorScope.escape(srcPaddingMask.copy());
        }
    }

    /** Positions decoded so far (the position of the next token). */
    public int length() {
        return length;
    }

    /**
     * Decodes one more position.
     *
     * @param parents for each row, the row of the previous step whose prefix it extends (at the
     *     first step, the index of its source)
     * @param tokens the token each row feeds at this position
     * @return logits [rows, tgtVocab] for the token after it (owned by the caller's scope, if any)
     */
    public Tensor step(int[] parents, long[] tokens) {
        if (parents.length != tokens.length || parents.length == 0) {
            throw new IllegalArgumentException("IncrementalDecoder.step: need one parent per token and at least one row, got "
                    + parents.length + " parents and " + tokens.length + " tokens");
        }
        int bound = rows < 0 ? sources : rows;
        for (int r = 0; r < parents.length; r++) {
            if (parents[r] < 0 || parents[r] >= bound) {
                throw new IllegalArgumentException("IncrementalDecoder.step: parent " + parents[r] + " of row " + r + " is not in [0, "
                        + bound + ")");
            }
        }
        if (length >= model.config.maxLen()) {
            throw new IllegalStateException("IncrementalDecoder.step: position " + length + " exceeds maxLen " + model.config.maxLen());
        }
        int r = parents.length;
        try (TensorScope scope = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            gatherRows(parents);
            Var x;
            try (Tensor tok = Tensor.fromArray(tokens, r, 1); Tensor pos = Tensor.fromArray(new long[] {length}, 1, 1)) {
                x = model.tgtEmbed.forward(tok).add(model.positions.forward(pos));
            }
            for (int i = 0; i < model.decoder.size(); i++) {
                TransformerDecoderLayer layer = model.decoder.get(i);
                Var h = layer.norm1.forward(x);
                Var q = project(layer.selfAttn, h, 0);
                Tensor k = project(layer.selfAttn, h, 1).value();
                Tensor v = project(layer.selfAttn, h, 2).value();
                Tensor keys = selfK[i] == null ? k.contiguous() : Tensor.cat(List.of(selfK[i], k), 2);
                Tensor values = selfV[i] == null ? v.contiguous() : Tensor.cat(List.of(selfV[i], v), 2);
                replace(selfK, i, TensorScope.escape(keys));
                replace(selfV, i, TensorScope.escape(values));
                Var a = Attention.scaledDotProduct(q, Var.constant(keys), Var.constant(values), false, null);
                x = x.add(layer.selfAttn.outProj.forward(a.transpose(1, 2).reshape(r, 1, dModel)));
                Var q2 = project(layer.multiheadAttn, layer.norm2.forward(x), 0);
                Var a2 = Attention.scaledDotProduct(q2, Var.constant(rowCrossK[i]), Var.constant(rowCrossV[i]), false, rowPad);
                x = x.add(layer.multiheadAttn.outProj.forward(a2.transpose(1, 2).reshape(r, 1, dModel)));
                // EncoderDecoder builds its decoder layers with GELU
                x = x.add(layer.linear2.forward(layer.linear1.forward(layer.norm3.forward(x)).gelu()));
            }
            Var logits = model.head.forward(model.decoderNorm.forward(x));
            length++;
            rows = r;
            return scope.keep(logits.value().reshape(r, model.config.tgtVocab()).contiguous());
        }
    }

    /** Gathers the per-row caches for the new rows (nothing to do when the rows are the previous ones, in order). */
    private void gatherRows(int[] parents) {
        int layers = crossK.length;
        if (rows < 0) {
            rowCrossK = new Tensor[layers];
            rowCrossV = new Tensor[layers];
            selfK = new Tensor[layers];
            selfV = new Tensor[layers];
            try (Tensor index = indexTensor(parents)) {
                for (int i = 0; i < layers; i++) {
                    rowCrossK[i] = TensorScope.escape(crossK[i].indexSelect(0, index));
                    rowCrossV[i] = TensorScope.escape(crossV[i].indexSelect(0, index));
                }
                rowPad = srcPad == null ? null : TensorScope.escape(srcPad.indexSelect(0, index));
            }
            return;
        }
        if (isIdentity(parents, rows)) {
            return;
        }
        try (Tensor index = indexTensor(parents)) {
            for (int i = 0; i < layers; i++) {
                replace(rowCrossK, i, TensorScope.escape(rowCrossK[i].indexSelect(0, index)));
                replace(rowCrossV, i, TensorScope.escape(rowCrossV[i].indexSelect(0, index)));
                replace(selfK, i, TensorScope.escape(selfK[i].indexSelect(0, index)));
                replace(selfV, i, TensorScope.escape(selfV[i].indexSelect(0, index)));
            }
            if (rowPad != null) {
                Tensor p = TensorScope.escape(rowPad.indexSelect(0, index));
                rowPad.close();
                rowPad = p;
            }
        }
    }

    private static Tensor indexTensor(int[] rows) {
        long[] idx = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            idx[i] = rows[i];
        }
        return Tensor.fromArray(idx, rows.length);
    }

    private static boolean isIdentity(int[] parents, int n) {
        if (parents.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (parents[i] != i) {
                return false;
            }
        }
        return true;
    }

    private static void replace(Tensor[] slots, int i, Tensor t) {
        if (slots[i] != null && slots[i] != t) {
            slots[i].close();
        }
        slots[i] = t;
    }

    /** Slice {@code which} (0 = q, 1 = k, 2 = v) of the stacked in-projection of {@code attn}, split into heads: [B, H, T, hd]. */
    private Var project(MultiheadAttention attn, Var x, int which) {
        int b = x.value().size(0);
        int t = x.value().size(1);
        return Functional.linear(x, attn.projWeight(which), attn.projBias(which)).reshape(b, t, heads, headDim).transpose(1, 2);
    }

    @Override
    public void close() {
        for (Tensor[] group : new Tensor[][] {crossK, crossV, rowCrossK, rowCrossV, selfK, selfV}) {
            if (group != null) {
                for (Tensor t : group) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
        }
        if (srcPad != null) {
            srcPad.close();
        }
        if (rowPad != null) {
            rowPad.close();
        }
    }
}
