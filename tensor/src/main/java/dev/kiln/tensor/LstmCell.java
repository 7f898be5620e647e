package dev.kiln.tensor;

/**
 * The fused elementwise half of an LSTM step (the matrix products stay with the caller): gate
 * pre-activations [N, 4H] in torch's order i, f, g, o and the previous cell state [N, H] give
 * [N, 2H] = [h', c']; the backward gives the gradients of both inputs. F32 only: the caller
 * composes the step from primitives for other dtypes (F64 gradient checks).
 */
final class LstmCell {
    private LstmCell() {}

    private static int hidden(String op, Tensor gates, Tensor c) {
        gates.checkOpen(op);
        c.checkOpen(op);
        if (gates.dtype() != DType.F32 || c.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": gates and c must be F32, got " + gates.dtype() + " and " + c.dtype());
        }
        if (c.rank() != 2 || gates.rank() != 2 || gates.size(0) != c.size(0) || gates.size(1) != 4 * c.size(1)) {
            throw new IllegalArgumentException(op + ": expected gates [N, 4H] and c [N, H], got " + gates.shape() + " and "
                    + c.shape());
        }
        return c.size(1);
    }

    static Tensor forward(Tensor gates, Tensor c) {
        int h = hidden("lstmCell", gates, c);
        try (Tensor a = gates.contiguous(); Tensor cc = c.contiguous()) {
            Tensor hc = Tensor.empty(DType.F32, gates.device(), Shape.of(c.size(0), 2 * h));
            gates.backend().lstmCell(a, cc, hc);
            return hc;
        }
    }

    static Tensor[] backward(Tensor gates, Tensor c, Tensor hc, Tensor grad) {
        int h = hidden("lstmCellBackward", gates, c);
        Shape hcShape = Shape.of(c.size(0), 2 * h);
        if (!hc.shape().equals(hcShape) || !grad.shape().equals(hcShape) || grad.dtype() != DType.F32) {
            throw new IllegalArgumentException("lstmCellBackward: hc and grad must be F32 " + hcShape + ", got " + hc.shape()
                    + " and " + grad.dtype() + grad.shape());
        }
        try (Tensor a = gates.contiguous(); Tensor cc = c.contiguous(); Tensor hcc = hc.contiguous();
             Tensor g = grad.contiguous()) {
            Tensor dGates = Tensor.empty(DType.F32, gates.device(), gates.shape());
            Tensor dC = Tensor.empty(DType.F32, gates.device(), c.shape());
            gates.backend().lstmCellBackward(a, cc, hcc, g, dGates, dC);
            return new Tensor[] {dGates, dC};
        }
    }
}
