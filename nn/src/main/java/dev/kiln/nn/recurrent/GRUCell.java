package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/** One GRU step (torch's {@code nn.GRUCell}); equations in {@link Recurrence}. */
public final class GRUCell extends RecurrentCell {
    public GRUCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, Init.globalGenerator());
    }

    public GRUCell(int inputSize, int hiddenSize, boolean bias, Generator g) {
        super(3, inputSize, hiddenSize, bias, g);
    }

    /** x [N, in] or [in]; h [N, H] or [H], zeros when null. */
    public Var forward(Var x, Var h) {
        checkInput(x);
        return Recurrence.gruCell(x, state("hx", h, x), weightIh, weightHh, biasIh, biasHh);
    }
}
