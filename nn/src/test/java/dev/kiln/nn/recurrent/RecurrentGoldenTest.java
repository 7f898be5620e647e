package dev.kiln.nn.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays the fixtures of {@code nn/src/test/python/recurrent_fixtures.py}: torch's weights are
 * loaded by their state-dict keys, then outputs, final states, the loss and the gradients of the
 * input, the initial states and every weight must match PyTorch's float64 results.
 */
class RecurrentGoldenTest {
    private static final double RTOL = 1e-4;

    @Test
    void lstmTwoLayersBidirectionalBatchFirst() throws IOException {
        LSTM lstm = new LSTM(5, 4, RecurrentOptions.defaults().numLayers(2).batchFirst(true).bidirectional(true),
                new Generator(1));
        assertEquals("LSTM(5, 4, num_layers=2, batch_first=True, bidirectional=True)", lstm.toString());
        replay("/golden/lstm_2layer_bidir_batch_first.txt", lstm, true, true);
    }

    @Test
    void gruTwoLayersBidirectionalBatchFirst() throws IOException {
        GRU gru = new GRU(5, 4, RecurrentOptions.defaults().numLayers(2).batchFirst(true).bidirectional(true),
                new Generator(2));
        replay("/golden/gru_2layer_bidir_batch_first.txt", gru, true, false);
    }

    @Test
    void reluRnnTwoLayersBidirectional() throws IOException {
        RNN rnn = new RNN(5, 4, RNN.Nonlinearity.RELU, RecurrentOptions.defaults().numLayers(2).bidirectional(true),
                new Generator(3));
        assertEquals("RNN(5, 4, num_layers=2, bidirectional=True)", rnn.toString()); // torch omits nonlinearity
        replay("/golden/rnn_relu_2layer_bidir.txt", rnn, true, false);
    }

    @Test
    void lstmUnbatchedFromZeroStates() throws IOException {
        replay("/golden/lstm_unbatched_no_state.txt", new LSTM(5, 4, RecurrentOptions.defaults(), new Generator(4)),
                false, false);
    }

    @Test
    void gruWithoutBias() throws IOException {
        GRU gru = new GRU(5, 4, RecurrentOptions.defaults().bias(false), new Generator(5));
        assertEquals("GRU(5, 4, bias=False)", gru.toString());
        replay("/golden/gru_no_bias.txt", gru, false, false);
    }

    private static void replay(String resource, RecurrentLayer layer, boolean withH0, boolean withC0) throws IOException {
        GoldenFixture f = GoldenFixture.load(RecurrentGoldenTest.class, resource);
        Map<String, String> torchKeys = stateDictKeys(resource);
        Map<String, String> ours = new LinkedHashMap<>();
        layer.stateDict().forEach((k, v) -> ours.put(k, shapeText(v)));
        assertEquals(torchKeys, ours, "parameter names and shapes (in order) must equal torch's");
        assertEquals(List.copyOf(torchKeys.keySet()), List.copyOf(ours.keySet()));

        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String k : torchKeys.keySet()) {
            state.put(k, f.f32(k));
        }
        Module.LoadResult lr = layer.loadStateDict(state, true);
        assertEquals(List.of(), lr.missingKeys());

        Var x = f.param("x");
        Var h0 = withH0 ? f.param("h0") : null;
        Var c0 = withC0 ? f.param("c0") : null;
        Var output;
        Var hN;
        Var cN = null;
        if (layer instanceof LSTM lstm) {
            LstmOutput out = lstm.forwardWithState(x, h0, c0);
            output = out.output();
            hN = out.hN();
            cN = out.cN();
        } else if (layer instanceof GRU gru) {
            RnnOutput out = gru.forwardWithState(x, h0);
            output = out.output();
            hN = out.hN();
        } else {
            RnnOutput out = ((RNN) layer).forwardWithState(x, h0);
            output = out.output();
            hN = out.hN();
        }
        f.assertMatches("output", output.value(), RTOL);
        f.assertMatches("h_n", hN.value(), RTOL);
        Var loss = output.mul(Var.constant(f.f32("w_out"))).sum().add(hN.mul(Var.constant(f.f32("w_h"))).sum());
        if (cN != null) {
            f.assertMatches("c_n", cN.value(), RTOL);
            loss = loss.add(cN.mul(Var.constant(f.f32("w_c"))).sum());
        }
        loss.backward();
        f.assertMatches("loss", loss.value(), RTOL);
        f.assertMatches("grad.x", x.grad(), RTOL);
        if (h0 != null) {
            f.assertMatches("grad.h0", h0.grad(), RTOL);
        }
        if (c0 != null) {
            f.assertMatches("grad.c0", c0.grad(), RTOL);
        }
        for (Map.Entry<String, Var> p : layer.namedParameters().entrySet()) {
            assertNotNull(p.getValue().grad(), p.getKey() + " got no gradient");
            f.assertMatches("grad." + p.getKey(), p.getValue().grad(), RTOL);
        }
    }

    // "# state_dict_keys: name:AxB ..." written by the fixture script from torch's module.state_dict()
    private static Map<String, String> stateDictKeys(String resource) throws IOException {
        String text;
        try (InputStream in = RecurrentGoldenTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource);
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String prefix = "# state_dict_keys: ";
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                for (String item : line.substring(prefix.length()).strip().split(" ")) {
                    int colon = item.indexOf(':');
                    keys.put(item.substring(0, colon), item.substring(colon + 1));
                }
            }
        }
        return keys;
    }

    private static String shapeText(Tensor t) {
        List<String> dims = new ArrayList<>();
        for (int d : t.shape().toArray()) {
            dims.add(Integer.toString(d));
        }
        return String.join("x", dims);
    }
}
