package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/**
 * Multi-layer gated recurrent unit (torch's {@code nn.GRU}); the equations are in
 * {@link Recurrence}, with torch's placement of {@code b_hn} inside {@code r * (W_hn h + b_hn)}.
 * Gates are stacked r, z, n in {@code weight_ih_l{k}} [3H, in_k] and {@code weight_hh_l{k}} [3H, H].
 *
 * <p>Input [T, N, in] ([N, T, in] with batchFirst, or [T, in] unbatched); h0
 * [layers * directions, N, H] ([layers * directions, H] unbatched), zeros when not given.
 */
public final class GRU extends RecurrentLayer {
    public GRU(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, RecurrentOptions.defaults());
    }

    public GRU(int inputSize, int hiddenSize, RecurrentOptions options) {
        this(inputSize, hiddenSize, options, Init.globalGenerator());
    }

    /** Parameters are drawn from {@code g}; dropout masks from a stream split off it. */
    public GRU(int inputSize, int hiddenSize, RecurrentOptions options, Generator g) {
        super(Recurrence.Mode.GRU, inputSize, hiddenSize, options, g);
    }

    /** Runs from a zero state; the output sequence and the final h (torch's {@code gru(x)}). */
    public RnnOutput forwardWithState(Var input) {
        return forwardWithState(input, null);
    }

    /** Runs from {@code h0}, or zeros when it is null: torch's {@code gru(x, h0)}. */
    public RnnOutput forwardWithState(Var input, Var h0) {
        Recurrence.Sequence s = runLayers(input, h0, null);
        return new RnnOutput(s.output(), s.hN());
    }
}
