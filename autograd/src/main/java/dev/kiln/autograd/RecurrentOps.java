package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/** Fused recurrent-cell ops, forward and backward side by side. */
final class RecurrentOps {
    private RecurrentOps() {}

    // hc = [h', c'] = lstmCell(gates, c) [N, 2H]; saves the gate pre-activations, c and hc, and
    // the backward kernel recomputes the activations from them (see LstmCellKernels).
    static Var lstmCell(Var gates, Var c) {
        Tensor a = gates.value();
        Tensor cv = c.value();
        Tensor hc = Tensor.lstmCell(a, cv);
        return Var.op("lstmCell", hc, g -> Tensor.lstmCellBackward(a, cv, hc, g), gates, c);
    }
}
