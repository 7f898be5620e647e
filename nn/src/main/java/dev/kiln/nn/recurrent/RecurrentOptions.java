package dev.kiln.nn.recurrent;

/**
 * The settings {@link RNN}, {@link LSTM} and {@link GRU} share, with torch's defaults
 * ({@link #defaults()}: one layer, biases, time-major input, no dropout, one direction). Immutable;
 * each setter returns a modified copy: {@code RecurrentOptions.defaults().numLayers(2).bidirectional(true)}.
 *
 * @param numLayers stacked layers, each reading the previous layer's output sequence
 * @param bias whether the layers have {@code b_ih} and {@code b_hh}
 * @param batchFirst input and output are [N, T, features] instead of [T, N, features] (the states
 *     stay [layers * directions, N, hidden] either way, as in torch)
 * @param dropout probability of dropping each element of every layer's output except the last's,
 *     in training mode only (torch's semantics, so it has no effect with one layer)
 * @param bidirectional each layer also runs backwards in time; outputs are concatenated [.., 2 * hidden]
 */
public record RecurrentOptions(int numLayers, boolean bias, boolean batchFirst, double dropout, boolean bidirectional) {
    public RecurrentOptions {
        if (numLayers < 1) {
            throw new IllegalArgumentException("RecurrentOptions: numLayers must be at least 1, got " + numLayers);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("RecurrentOptions: dropout must be in [0, 1], got " + dropout);
        }
    }

    /** torch's defaults: {@code num_layers=1, bias=True, batch_first=False, dropout=0, bidirectional=False}. */
    public static RecurrentOptions defaults() {
        return new RecurrentOptions(1, true, false, 0, false);
    }

    public RecurrentOptions numLayers(int n) {
        return new RecurrentOptions(n, bias, batchFirst, dropout, bidirectional);
    }

    public RecurrentOptions bias(boolean b) {
        return new RecurrentOptions(numLayers, b, batchFirst, dropout, bidirectional);
    }

    public RecurrentOptions batchFirst(boolean b) {
        return new RecurrentOptions(numLayers, bias, b, dropout, bidirectional);
    }

    public RecurrentOptions dropout(double p) {
        return new RecurrentOptions(numLayers, bias, batchFirst, p, bidirectional);
    }

    public RecurrentOptions bidirectional(boolean b) {
        return new RecurrentOptions(numLayers, bias, batchFirst, dropout, b);
    }
}
