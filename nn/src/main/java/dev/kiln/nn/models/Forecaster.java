package dev.kiln.nn.models;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.recurrent.GRU;
import dev.kiln.nn.recurrent.LSTM;
import dev.kiln.nn.recurrent.RecurrentLayer;
import dev.kiln.nn.recurrent.RecurrentOptions;
import dev.kiln.tensor.random.Generator;

/**
 * The next-hour model of {@code kiln train rnn}: a batch-first LSTM or GRU over the window
 * ([B, T, 1] → [B, T, H]) and a linear head on the last step's hidden state ([B, H] → [B, 1]).
 * The head predicts the change from the last observed hour, which is added back: the output is
 * {@code x[:, T-1] + head(h[:, T-1])}, so an untrained model starts near the persistence forecast
 * and training spends itself on what persistence misses (the daily cycle, trends). State-dict
 * names: {@code rnn.weight_ih_l0} ... (torch's) and {@code head.weight}, {@code head.bias}.
 */
public final class Forecaster extends Module {
    /** The recurrent cell. */
    public enum Cell { lstm, gru }

    private final Cell cell;
    private final RecurrentLayer rnn;
    private final Linear head;

    /** A freshly initialised forecaster with {@code layers} stacked cells of {@code hidden} units. */
    public Forecaster(Cell cell, int hidden, int layers, Generator g) {
        this.cell = cell;
        RecurrentOptions options = RecurrentOptions.defaults().numLayers(layers).batchFirst(true);
        this.rnn = registerModule("rnn", cell == Cell.lstm ? new LSTM(1, hidden, options, g) : new GRU(1, hidden, options, g));
        this.head = registerModule("head", new Linear(hidden, 1, true, g));
    }

    /** x [B, T, 1] normalised hours → [B, 1] the normalised next hour. */
    public Var forward(Var x) {
        int b = x.shape().size(0);
        int t = x.shape().size(1);
        Var out = rnn.forward(x); // [B, T, H]: the output sequence
        Var last = out.narrow(1, t - 1, 1).reshape(b, rnn.hiddenSize);
        return head.forward(last).add(x.narrow(1, t - 1, 1).reshape(b, 1));
    }

    /** The recurrent layer (state-dict prefix {@code rnn.}). */
    public RecurrentLayer rnn() {
        return rnn;
    }

    /** The linear head on the last step (state-dict prefix {@code head.}). */
    public Linear head() {
        return head;
    }

    @Override
    protected String extraRepr() {
        return "cell=" + cell + ", residual over the last hour";
    }
}
