package dev.kiln.nn.recurrent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Parameter layout, initialisation, input checks, dropout modes and cells of the recurrent layers. */
class RecurrentLayerTest {

    @Test
    void parameterNamesAndShapesEqualTorch() {
        // list(torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True).state_dict()) with shapes
        Map<String, List<Integer>> torch = new LinkedHashMap<>();
        for (int l = 0; l < 2; l++) {
            for (String suffix : new String[] {"", "_reverse"}) {
                torch.put("weight_ih_l" + l + suffix, List.of(80, l == 0 ? 10 : 40));
                torch.put("weight_hh_l" + l + suffix, List.of(80, 20));
                torch.put("bias_ih_l" + l + suffix, List.of(80));
                torch.put("bias_hh_l" + l + suffix, List.of(80));
            }
        }
        LSTM lstm = new LSTM(10, 20, RecurrentOptions.defaults().numLayers(2).bidirectional(true), new Generator(1));
        assertEquals(torch, shapes(lstm));
        assertEquals("LSTM(10, 20, num_layers=2, bidirectional=True)", lstm.toString());

        // torch.nn.GRU(3, 5, bias=False): weight_ih_l0 [15, 3], weight_hh_l0 [15, 5]
        GRU gru = new GRU(3, 5, RecurrentOptions.defaults().bias(false), new Generator(2));
        assertEquals(Map.of("weight_ih_l0", List.of(15, 3), "weight_hh_l0", List.of(15, 5)), shapes(gru));
        RNN rnn = new RNN(3, 5, RNN.Nonlinearity.RELU, RecurrentOptions.defaults().batchFirst(true).dropout(0.25).numLayers(3),
                new Generator(3));
        assertEquals("RNN(3, 5, num_layers=3, batch_first=True, dropout=0.25)", rnn.toString());
        assertEquals(List.of(5, 5), shapes(rnn).get("weight_ih_l2"));

        assertEquals(List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                List.copyOf(new LSTMCell(3, 4).namedParameters().keySet()));
        assertEquals(List.of(16, 3), shapes(new LSTMCell(3, 4)).get("weight_ih"));
        assertEquals(List.of(12, 4), shapes(new GRUCell(3, 4)).get("weight_hh"));
        assertEquals("RNNCell(3, 4, bias=False, nonlinearity=relu)",
                new RNNCell(3, 4, false, RNN.Nonlinearity.RELU, new Generator(4)).toString());
    }

    @Test
    void initIsUniformWithinOneOverSqrtHidden() {
        int hidden = 64;
        LSTM lstm = new LSTM(32, hidden, RecurrentOptions.defaults().numLayers(2), new Generator(5));
        double bound = 1 / Math.sqrt(hidden);
        for (Map.Entry<String, Var> p : lstm.namedParameters().entrySet()) {
            double[] v = p.getValue().value().toDoubleArray();
            double sq = 0;
            for (double x : v) {
                assertTrue(Math.abs(x) <= bound, p.getKey() + " has " + x + " outside +-" + bound);
                sq += x * x;
            }
            if (v.length > 1000) { // U(-b, b) has variance b^2/3
                assertEquals(bound * bound / 3, sq / v.length, 0.1 * bound * bound / 3, p.getKey());
            }
        }
    }

    @Test
    void badInputsAreRejectedWithClearMessages() {
        LSTM lstm = new LSTM(5, 4, RecurrentOptions.defaults().numLayers(2), new Generator(6));
        assertMessage(() -> lstm.forwardWithState(v(2, 3, 4, 5)), "input must have 3 dimensions", "[2, 3, 4, 5]");
        assertMessage(() -> lstm.forwardWithState(v(7, 3, 6)), "input.size(-1) must equal input_size 5", "[7, 3, 6]");
        assertMessage(() -> lstm.forwardWithState(v(7, 3, 5), v(2, 2, 4), null), "h0 must have shape [2, 3, 4]", "[2, 2, 4]");
        assertMessage(() -> lstm.forwardWithState(v(7, 3, 5), v(2, 3, 4), v(1, 3, 4)), "c0 must have shape [2, 3, 4]", "[1, 3, 4]");
        assertMessage(() -> lstm.forwardWithState(v(7, 5), v(2, 1, 4), null), "h0 must have shape [2, 4]", "unbatched");
        assertMessage(() -> lstm.forwardWithState(Var.constant(Tensor.zeros(DType.F64, 7, 3, 5))), "input dtype F64", "F32");
        assertMessage(() -> lstm.forwardWithState(v(0, 3, 5)), "at least one time step", "[0, 3, 5]");
        GRU batchFirst = new GRU(5, 4, RecurrentOptions.defaults().batchFirst(true), new Generator(7));
        assertMessage(() -> batchFirst.forwardWithState(v(3, 7, 5), v(1, 7, 4)), "h0 must have shape [1, 3, 4]", "[1, 7, 4]");
        assertMessage(() -> new RNN(0, 4), "inputSize and hiddenSize must be positive", "0");
        assertMessage(() -> RecurrentOptions.defaults().numLayers(0), "numLayers must be at least 1", "0");
        assertMessage(() -> RecurrentOptions.defaults().dropout(1.5), "dropout must be in [0, 1]", "1.5");
        assertMessage(() -> new LSTMCell(5, 4).forward(v(3, 6), null, null), "input must have shape [batch, 5]", "[3, 6]");
        assertMessage(() -> new GRUCell(5, 4).forward(v(3, 5), v(2, 4)), "hx must have shape [3, 4]", "[2, 4]");
    }

    @Test
    void dropoutActsBetweenLayersOnlyInTraining() {
        RecurrentOptions two = RecurrentOptions.defaults().numLayers(2);
        LSTM plain = new LSTM(5, 6, two, new Generator(8));
        LSTM dropped = new LSTM(5, 6, two.dropout(0.5), new Generator(9));
        dropped.loadStateDict(plain.stateDict(), true);
        Var x = v(4, 3, 5);
        float[] reference = plain.forwardWithState(x).output().value().toFloatArray();

        dropped.eval();
        assertFalse(dropped.isTraining());
        assertArrayEquals(reference, dropped.forwardWithState(x).output().value().toFloatArray(), "eval mode must not drop");

        dropped.train();
        float[] trained = dropped.forwardWithState(x).output().value().toFloatArray();
        assertFalse(java.util.Arrays.equals(reference, trained), "training mode must drop between the layers");

        // The same seed gives the same masks.
        LSTM again = new LSTM(5, 6, two.dropout(0.5), new Generator(9));
        again.loadStateDict(plain.stateDict(), true);
        assertArrayEquals(trained, again.forwardWithState(x).output().value().toFloatArray());

        // Nothing is dropped after the last layer (torch's semantics): one layer is unaffected in training.
        GRU one = new GRU(5, 6, RecurrentOptions.defaults(), new Generator(10));
        GRU oneDropped = new GRU(5, 6, RecurrentOptions.defaults().dropout(0.9), new Generator(11));
        oneDropped.loadStateDict(one.stateDict(), true);
        assertArrayEquals(one.forwardWithState(x).output().value().toFloatArray(),
                oneDropped.forwardWithState(x).output().value().toFloatArray());
    }

    @Test
    void cellsSteppedOverTimeEqualSingleLayerModules() {
        Generator g = new Generator(12);
        Var x = v(4, 3, 5);
        Var h0 = Var.constant(Tensor.randn(g, 1, 3, 6));
        Var c0 = Var.constant(Tensor.randn(g, 1, 3, 6));

        LSTM lstm = new LSTM(5, 6, RecurrentOptions.defaults(), g);
        LSTMCell lstmCell = new LSTMCell(5, 6, true, g);
        lstmCell.loadStateDict(cellState(lstm), true);
        LstmOutput lo = lstm.forwardWithState(x, h0, c0);
        LstmState st = new LstmState(h0.squeeze(0), c0.squeeze(0));
        List<Var> steps = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            st = lstmCell.forward(x.narrow(0, t, 1).squeeze(0), st.h(), st.c());
            steps.add(st.h());
        }
        assertClose(Var.stack(steps, 0).value(), lo.output().value());
        assertClose(st.c().value(), lo.cN().squeeze(0).value());

        GRU gru = new GRU(5, 6, RecurrentOptions.defaults(), g);
        GRUCell gruCell = new GRUCell(5, 6, true, g);
        gruCell.loadStateDict(cellState(gru), true);
        RNN rnn = new RNN(5, 6, RNN.Nonlinearity.RELU, RecurrentOptions.defaults(), g);
        RNNCell rnnCell = new RNNCell(5, 6, true, RNN.Nonlinearity.RELU, g);
        rnnCell.loadStateDict(cellState(rnn), true);
        Var hg = h0.squeeze(0);
        Var hr = h0.squeeze(0);
        List<Var> gs = new ArrayList<>();
        List<Var> rs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Var xt = x.narrow(0, t, 1).squeeze(0);
            hg = gruCell.forward(xt, hg);
            hr = rnnCell.forward(xt, hr);
            gs.add(hg);
            rs.add(hr);
        }
        assertClose(Var.stack(gs, 0).value(), gru.forwardWithState(x, h0).output().value());
        assertClose(Var.stack(rs, 0).value(), rnn.forwardWithState(x, h0).output().value());

        // Unbatched cell input [in] with no state.
        Var unbatched = gruCell.forward(x.narrow(0, 0, 1).narrow(1, 0, 1).reshape(5), null);
        assertArrayEquals(new int[] {6}, unbatched.value().shape().toArray());
    }

    @Test
    void unbatchedInputEqualsABatchOfOne() {
        GRU gru = new GRU(5, 4, RecurrentOptions.defaults().numLayers(2).bidirectional(true).batchFirst(true),
                new Generator(13));
        Var x = v(6, 5);
        Var h0 = v(4, 4);
        RnnOutput single = gru.forwardWithState(x, h0);
        RnnOutput batch = gru.forwardWithState(x.unsqueeze(0), h0.unsqueeze(1));
        assertArrayEquals(new int[] {6, 8}, single.output().value().shape().toArray());
        assertArrayEquals(new int[] {4, 4}, single.hN().value().shape().toArray());
        assertClose(batch.output().squeeze(0).value(), single.output().value());
        assertClose(batch.hN().squeeze(1).value(), single.hN().value());
    }

    private static Map<String, Tensor> cellState(Module layer) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        layer.stateDict().forEach((k, t) -> out.put(k.replace("_l0", ""), t));
        return out;
    }

    private static Map<String, List<Integer>> shapes(Module m) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> {
            List<Integer> dims = new ArrayList<>();
            for (int d : p.value().shape().toArray()) {
                dims.add(d);
            }
            out.put(k, dims);
        });
        return out;
    }

    private static Var v(int... shape) {
        return Var.constant(Tensor.randn(new Generator(99), shape));
    }

    private static void assertClose(Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape().toArray(), actual.shape().toArray());
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-5, "element " + i);
        }
    }

    private static void assertMessage(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }
}
