package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/** One LSTM step (torch's {@code nn.LSTMCell}); equations in {@link Recurrence}. */
public final class LSTMCell extends RecurrentCell {
    public LSTMCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, Init.globalGenerator());
    }

    public LSTMCell(int inputSize, int hiddenSize, boolean bias, Generator g) {
        super(4, inputSize, hiddenSize, bias, g);
    }

    /** x [N, in] or [in]; h and c [N, H] or [H], zeros when null. */
    public LstmState forward(Var x, Var h, Var c) {
        checkInput(x);
        Var[] hc = Recurrence.lstmCell(x, state("h", h, x), state("c", c, x), weightIh, weightHh, biasIh, biasHh);
        return new LstmState(hc[0], hc[1]);
    }
}
