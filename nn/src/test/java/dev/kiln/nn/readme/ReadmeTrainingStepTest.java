package dev.kiln.nn.readme;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.loss.Losses;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/**
 * The README's "A training step in Java" example, verbatim apart from collecting the losses: it must
 * compile and learn. It lives in nn because the loss comes from {@code nn.loss}.
 */
class ReadmeTrainingStepTest {

    @Test
    void readmeExampleTrains() {
        double first = Double.NaN;
        double last = Double.NaN;
        // ---- begin README example
        Generator g = new Generator(0);
        Var w1 = Var.leaf(Tensor.randn(g, 64, 20).mul(0.2), true);   // [hidden, in]
        Var b1 = Var.leaf(Tensor.zeros(64), true);
        Var w2 = Var.leaf(Tensor.randn(g, 3, 64).mul(0.1), true);    // [classes, hidden]
        Var b2 = Var.leaf(Tensor.zeros(3), true);
        Tensor x = Tensor.randn(g, 32, 20);                           // a batch of 32 examples
        Tensor y = Tensor.randint(g, 0, 3, 32);                       // their class labels (I64)

        for (int step = 0; step < 100; step++) {
            try (TensorScope _ = TensorScope.open()) {                // frees the step's temporaries
                Var hidden = Functional.linear(Var.constant(x), w1, b1).gelu();
                Var logits = Functional.linear(hidden, w2, b2);
                Var loss = Losses.crossEntropy(logits, y);            // mean over the batch
                loss.backward();                                      // fills w1.grad() ... b2.grad(); frees the graph
                for (Var p : new Var[] {w1, b1, w2, b2}) {
                    p.value().addInPlace(p.grad(), -0.1);             // p -= lr * grad
                    p.zeroGrad();
                }
                // ---- end README example (the print is replaced by recording the loss)
                double l = loss.value().item();
                if (step == 0) {
                    first = l;
                }
                last = l;
            }
        }
        double f = first;
        double e = last;
        assertTrue(last < 0.5 * first, () -> "the README example must learn: loss " + f + " -> " + e);
    }
}
