package dev.kiln.nn.recurrent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.UnaryModule;
import dev.kiln.nn.loss.Losses;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Recurrent layers as {@link UnaryModule}s: inside a {@link Sequential} they pass on the output
 * sequence, the same tensor {@code forwardWithState(x).output()} returns, keep torch's parameter
 * names under the child's index, and a model built that way trains (one SGD step lowers the loss).
 */
class RecurrentSequentialTest {

    /** One plain SGD step over every parameter, in place. */
    private static void sgdStep(Sequential model, double lr) {
        try (NoGrad _ = NoGrad.enter()) {
            for (Var p : model.parameters()) {
                try (Tensor step = p.grad().mul(lr); Tensor updated = p.value().sub(step)) {
                    p.value().copyFrom(updated);
                }
            }
        }
        model.zeroGrad();
    }

    private static void trainsAStep(RecurrentLayer rnn, Generator g) {
        Linear head = new Linear(rnn.hiddenSize * rnn.directions(), 2, true, g);
        Sequential model = new Sequential(rnn, head);
        Var x = Var.constant(Tensor.randn(g, 3, 5, 4)); // batch-first [N, T, in]
        Var target = Var.constant(Tensor.randn(g, 3, 5, 2));

        Var out = model.forward(x);
        Var direct = head.forward(rnn instanceof LSTM lstm ? lstm.forwardWithState(x).output()
                : rnn instanceof GRU gru ? gru.forwardWithState(x).output() : ((RNN) rnn).forwardWithState(x).output());
        assertArrayEquals(direct.value().toFloatArray(), out.value().toFloatArray(), "Sequential passes on output()");
        assertArrayEquals(new int[] {3, 5, 2}, out.value().shape().toArray());

        Var loss = Losses.mseLoss(out, target);
        double before = loss.value().item();
        loss.backward();
        for (Map.Entry<String, Var> p : model.namedParameters().entrySet()) {
            assertTrue(p.getValue().grad() != null, "no gradient for " + p.getKey());
        }
        sgdStep(model, 0.1);
        double after = Losses.mseLoss(model.forward(x), target).value().item();
        assertTrue(after < before, rnn.getClass().getSimpleName() + ": loss " + before + " -> " + after);
    }

    @Test
    void lstmAndGruTrainInsideSequential() {
        Generator g = new Generator(21);
        RecurrentOptions opts = RecurrentOptions.defaults().batchFirst(true);
        trainsAStep(new LSTM(4, 6, opts.numLayers(2), g), g);
        trainsAStep(new GRU(4, 6, opts.bidirectional(true), g), g);
        trainsAStep(new RNN(4, 6, RNN.Nonlinearity.TANH, opts, g), g);
    }

    @Test
    void parameterNamesAreTorchsUnderTheChildIndex() {
        Sequential model = new Sequential(new LSTM(4, 3, RecurrentOptions.defaults(), new Generator(1)), new Linear(3, 1));
        assertEquals(List.of("0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "1.weight", "1.bias"),
                List.copyOf(model.stateDict().keySet()));
    }
}
