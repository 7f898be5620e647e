package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/**
 * Multi-layer Elman RNN (torch's {@code nn.RNN}): {@code h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)}
 * with act tanh (the default) or relu. Input and state layouts as in {@link GRU}.
 */
public final class RNN extends RecurrentLayer {
    /** The activation between steps (torch's {@code nonlinearity='tanh' | 'relu'}). */
    public enum Nonlinearity { TANH, RELU }

    public final Nonlinearity nonlinearity;

    public RNN(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, Nonlinearity.TANH, RecurrentOptions.defaults());
    }

    public RNN(int inputSize, int hiddenSize, Nonlinearity nonlinearity, RecurrentOptions options) {
        this(inputSize, hiddenSize, nonlinearity, options, Init.globalGenerator());
    }

    /** Parameters are drawn from {@code g}; dropout masks from a stream split off it. */
    public RNN(int inputSize, int hiddenSize, Nonlinearity nonlinearity, RecurrentOptions options, Generator g) {
        super(mode(nonlinearity), inputSize, hiddenSize, options, g);
        this.nonlinearity = nonlinearity;
    }

    private static Recurrence.Mode mode(Nonlinearity nl) {
        if (nl == null) {
            throw new IllegalArgumentException("RNN: nonlinearity must be TANH or RELU, got null");
        }
        return nl == Nonlinearity.RELU ? Recurrence.Mode.RNN_RELU : Recurrence.Mode.RNN_TANH;
    }

    /** Runs from a zero state; the output sequence and the final h (torch's {@code rnn(x)}). */
    public RnnOutput forwardWithState(Var input) {
        return forwardWithState(input, null);
    }

    /** Runs from {@code h0}, or zeros when it is null: torch's {@code rnn(x, h0)}. */
    public RnnOutput forwardWithState(Var input, Var h0) {
        Recurrence.Sequence s = runLayers(input, h0, null);
        return new RnnOutput(s.output(), s.hN());
    }
}
