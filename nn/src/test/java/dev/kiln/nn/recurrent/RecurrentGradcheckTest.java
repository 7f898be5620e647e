package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Gradcheck;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Central-difference gradient checks in double precision of the recurrences, with respect to the
 * input, the initial states and every weight: single cells, and two-layer bidirectional sequences
 * (T = 3, N = 2, in = 3, H = 2) through {@link Recurrence#run}, the function the layers call.
 */
class RecurrentGradcheckTest {
    private static final int T = 3, N = 2, IN = 3, H = 2;

    @Test
    void lstmCell() {
        Generator g = new Generator(21);
        Gradcheck.assertGradients("lstmCell", v -> {
            Var[] hc = Recurrence.lstmCell(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
            return Var.cat(List.of(hc[0], hc[1]), 1);
        }, randn(g, N, IN), randn(g, N, H), randn(g, N, H), randn(g, 4 * H, IN), randn(g, 4 * H, H),
                randn(g, 4 * H), randn(g, 4 * H));
    }

    @Test
    void gruCell() {
        Generator g = new Generator(22);
        Gradcheck.assertGradients("gruCell", v -> Recurrence.gruCell(v[0], v[1], v[2], v[3], v[4], v[5]),
                randn(g, N, IN), randn(g, N, H), randn(g, 3 * H, IN), randn(g, 3 * H, H), randn(g, 3 * H), randn(g, 3 * H));
    }

    @Test
    void rnnCellTanhAndRelu() {
        Generator g = new Generator(23);
        Tensor[] in = {randn(g, N, IN), randn(g, N, H), randn(g, H, IN), randn(g, H, H), randn(g, H), randn(g, H)};
        Gradcheck.assertGradients("rnnCell tanh", v -> Recurrence.rnnCell(v[0], v[1], v[2], v[3], v[4], v[5], false), in);
        Gradcheck.assertGradients("rnnCell relu", v -> Recurrence.rnnCell(v[0], v[1], v[2], v[3], v[4], v[5], true), in);
    }

    @Test
    void lstmTwoLayersBidirectional() {
        checkSequence(Recurrence.Mode.LSTM, true, new Generator(31));
    }

    @Test
    void gruTwoLayersBidirectional() {
        checkSequence(Recurrence.Mode.GRU, true, new Generator(32));
    }

    @Test
    void rnnTanhTwoLayersBidirectional() {
        checkSequence(Recurrence.Mode.RNN_TANH, true, new Generator(33));
    }

    @Test
    void rnnReluTwoLayersBidirectional() {
        checkSequence(Recurrence.Mode.RNN_RELU, true, new Generator(34));
    }

    @Test
    void gruWithoutBias() {
        checkSequence(Recurrence.Mode.GRU, false, new Generator(35));
    }

    // Inputs: x [T, N, IN], h0, c0 [L*D, N, H], then the flat weights; output: output, hN, cN concatenated.
    private static void checkSequence(Recurrence.Mode mode, boolean bias, Generator g) {
        int layers = 2, dirs = 2;
        List<Tensor> inputs = new ArrayList<>(List.of(randn(g, T, N, IN), randn(g, layers * dirs, N, H),
                randn(g, layers * dirs, N, H)));
        for (int l = 0; l < layers; l++) {
            for (int d = 0; d < dirs; d++) {
                inputs.add(randn(g, mode.gates * H, l == 0 ? IN : dirs * H));
                inputs.add(randn(g, mode.gates * H, H));
                if (bias) {
                    inputs.add(randn(g, mode.gates * H));
                    inputs.add(randn(g, mode.gates * H));
                }
            }
        }
        boolean lstm = mode == Recurrence.Mode.LSTM;
        Gradcheck.assertGradients(mode + " sequence", v -> {
            List<Var> weights = Arrays.asList(v).subList(3, v.length);
            Recurrence.Sequence s = Recurrence.run(mode, v[0], v[1], lstm ? v[2] : null, weights, layers, true, bias,
                    0, true, new Generator(0));
            List<Var> parts = new ArrayList<>(List.of(s.output().reshape(-1), s.hN().reshape(-1)));
            if (lstm) {
                parts.add(s.cN().reshape(-1));
            } else {
                parts.add(v[2].mul(0.0).reshape(-1)); // c0 unused: keep it an input whose gradient is zero
            }
            return Var.cat(parts, 0);
        }, inputs.toArray(Tensor[]::new));
    }

    private static Tensor randn(Generator g, int... shape) {
        return Tensor.randn(g, shape).mul(0.7);
    }
}
