package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/**
 * Multi-layer long short-term memory (torch's {@code nn.LSTM}); the equations are in
 * {@link Recurrence}. Gates are stacked i, f, g, o in {@code weight_ih_l{k}} [4H, in_k] and
 * {@code weight_hh_l{k}} [4H, H], so a torch state dict loads as is.
 *
 * <p>Input [T, N, in] ([N, T, in] with batchFirst, or [T, in] unbatched); h0 and c0
 * [layers * directions, N, H] ([layers * directions, H] unbatched), zeros when not given.
 * {@link #forward(Var)} returns the output sequence only (so an LSTM fits a {@code Sequential});
 * {@link #forwardWithState} returns the output and the final states.
 */
public final class LSTM extends RecurrentLayer {
    public LSTM(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, RecurrentOptions.defaults());
    }

    public LSTM(int inputSize, int hiddenSize, RecurrentOptions options) {
        this(inputSize, hiddenSize, options, Init.globalGenerator());
    }

    /** Parameters are drawn from {@code g}; dropout masks from a stream split off it. */
    public LSTM(int inputSize, int hiddenSize, RecurrentOptions options, Generator g) {
        super(Recurrence.Mode.LSTM, inputSize, hiddenSize, options, g);
    }

    /** Runs from zero states; the output sequence and the final h and c (torch's {@code lstm(x)}). */
    public LstmOutput forwardWithState(Var input) {
        return forwardWithState(input, null, null);
    }

    /** Runs from the given states, either of which may be null (zeros): torch's {@code lstm(x, (h0, c0))}. */
    public LstmOutput forwardWithState(Var input, Var h0, Var c0) {
        Recurrence.Sequence s = runLayers(input, h0, c0);
        return new LstmOutput(s.output(), s.hN(), s.cN());
    }
}
