package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * A lookup table: integer indices [...] -> rows of weight [num, dim], giving [..., dim].
 * Initialised N(0, 1) as in torch. With a {@code paddingIdx}, that row starts at zero and never
 * receives a gradient (torch's padding_idx).
 */
public final class Embedding extends Module {
    public final int numEmbeddings;
    public final int embeddingDim;
    /** -1 when there is none. */
    public final int paddingIdx;
    public final Var weight;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, -1, Init.globalGenerator());
    }

    public Embedding(int numEmbeddings, int embeddingDim, int paddingIdx, Generator g) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding: sizes must be positive, got " + numEmbeddings + " x " + embeddingDim);
        }
        if (paddingIdx < -1 || paddingIdx >= numEmbeddings) {
            throw new IllegalArgumentException("Embedding: paddingIdx must be in [0, " + numEmbeddings + ") or -1, got " + paddingIdx);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx;
        Tensor w = Init.normal(Tensor.empty(numEmbeddings, embeddingDim), 0, 1, g);
        if (paddingIdx >= 0) {
            try (Tensor row = w.narrow(0, paddingIdx, 1)) {
                Init.zeros(row);
            }
        }
        this.weight = registerParameter("weight", w);
        if (paddingIdx >= 0) {
            int pad = paddingIdx;
            weight.registerHook(grad -> {
                Tensor masked = grad.copy();
                try (Tensor row = masked.narrow(0, pad, 1)) {
                    Init.zeros(row);
                }
                return masked;
            });
        }
    }

    /** Rows for {@code indices} (I64 or I32, any shape). */
    public Var forward(Tensor indices) {
        return Var.embedding(weight, indices);
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx >= 0 ? ", padding_idx=" + paddingIdx : "");
    }
}
