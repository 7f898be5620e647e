package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/** One Elman RNN step (torch's {@code nn.RNNCell}): {@code h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)}. */
public final class RNNCell extends RecurrentCell {
    public final RNN.Nonlinearity nonlinearity;

    public RNNCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, RNN.Nonlinearity.TANH, Init.globalGenerator());
    }

    public RNNCell(int inputSize, int hiddenSize, boolean bias, RNN.Nonlinearity nonlinearity, Generator g) {
        super(1, inputSize, hiddenSize, bias, g);
        if (nonlinearity == null) {
            throw new IllegalArgumentException("RNNCell: nonlinearity must be TANH or RELU, got null");
        }
        this.nonlinearity = nonlinearity;
    }

    /** x [N, in] or [in]; h [N, H] or [H], zeros when null. */
    public Var forward(Var x, Var h) {
        checkInput(x);
        return Recurrence.rnnCell(x, state("hx", h, x), weightIh, weightHh, biasIh, biasHh,
                nonlinearity == RNN.Nonlinearity.RELU);
    }

    @Override
    protected String extraRepr() {
        return super.extraRepr() + (nonlinearity == RNN.Nonlinearity.RELU ? ", nonlinearity=relu" : "");
    }
}
