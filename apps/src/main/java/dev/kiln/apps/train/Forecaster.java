package dev.kiln.apps.train;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.recurrent.GRU;
import dev.kiln.nn.recurrent.LSTM;
import dev.kiln.nn.recurrent.RecurrentLayer;
import dev.kiln.nn.recurrent.RecurrentOptions;
import dev.kiln.onnx.OnnxExport;
import dev.kiln.onnx.OnnxGraph;
import java.util.List;
import dev.kiln.tensor.random.Generator;

/**
 * The next-hour model of {@code kiln train rnn}: a batch-first LSTM or GRU over the window
 * ([B, T, 1] → [B, T, H]) and a linear head on the last step's hidden state ([B, H] → [B, 1]).
 * The head predicts the change from the last observed hour, which is added back: the output is
 * {@code x[:, T-1] + head(h[:, T-1])}, so an untrained model starts near the persistence forecast
 * and training spends itself on what persistence misses (the daily cycle, trends). State-dict
 * names: {@code rnn.weight_ih_l0} ... (torch's) and {@code head.weight}, {@code head.bias}.
 */
final class Forecaster extends Module {
    /** The recurrent cell. */
    enum Cell { lstm, gru }

    private final Cell cell;
    private final RecurrentLayer rnn;
    private final Linear head;

    Forecaster(Cell cell, int hidden, int layers, Generator g) {
        this.cell = cell;
        RecurrentOptions options = RecurrentOptions.defaults().numLayers(layers).batchFirst(true);
        this.rnn = registerModule("rnn", cell == Cell.lstm ? new LSTM(1, hidden, options, g) : new GRU(1, hidden, options, g));
        this.head = registerModule("head", new Linear(hidden, 1, true, g));
    }

    /** x [B, T, 1] normalised hours → [B, 1] the normalised next hour. */
    Var forward(Var x) {
        int b = x.shape().size(0);
        int t = x.shape().size(1);
        Var out = rnn.forward(x); // [B, T, H]: the output sequence
        Var last = out.narrow(1, t - 1, 1).reshape(b, rnn.hiddenSize);
        return head.forward(last).add(x.narrow(1, t - 1, 1).reshape(b, 1));
    }

    /** {@link #forward} as ONNX nodes: x [B, T, 1] → [B, 1], the last step taken with Slice(-1) along time. */
    String exportOnnx(OnnxGraph g, String x) {
        String out = OnnxExport.recurrent(g, rnn, x); // [B, T, H]
        String lastStep = g.longs("last_start", -1);
        String end = g.longs("last_end", Long.MAX_VALUE);
        String timeAxis = g.longs("time_axis", 1);
        String last = g.node("Squeeze", List.of(g.node("Slice", List.of(out, lastStep, end, timeAxis)), timeAxis)); // [B, H]
        String lastHour = g.node("Squeeze", List.of(g.node("Slice", List.of(x, lastStep, end, timeAxis)), timeAxis)); // [B, 1]
        return g.node("Add", List.of(OnnxExport.linear(g, head, last), lastHour));
    }

    @Override
    protected String extraRepr() {
        return "cell=" + cell + ", residual over the last hour";
    }
}
