package dev.kiln.autograd;

import static dev.kiln.autograd.ShapeOps.sumToShape;

import dev.kiln.tensor.Tensor;

/** Matrix products (torch.matmul semantics), forward and backward side by side. */
final class MatmulOps {
    private MatmulOps() {}

    /**
     * a [..., m, k] @ b [..., k, n] -> [..., m, n], batch dims broadcast; a 1-D a is a row [1, k]
     * and a 1-D b a column [k, 1], whose added dim is dropped from the result.
     * da = g @ b^T, db = a^T @ g, each summed over the batch dims it was broadcast along.
     */
    static Var matmul(Var a, Var b) {
        a = AutocastPolicy.cast("matmul", a);
        b = AutocastPolicy.cast("matmul", b);
        return matmulExact(a, b);
    }

    private static Var matmulExact(Var a, Var b) {
        Tensor x = a.value(), y = b.value();
        Tensor out = x.matmul(y);
        return Var.op("matmul", out, g -> {
            Tensor x2 = x.rank() == 1 ? x.unsqueeze(0) : x;
            Tensor y2 = y.rank() == 1 ? y.unsqueeze(1) : y;
            // Put back the dims that 1-D operands dropped from the output: g2 is [..., m, n].
            Tensor g2 = y.rank() == 1 ? g.unsqueeze(g.rank()) : g;
            g2 = x.rank() == 1 ? g2.unsqueeze(g2.rank() - 1) : g2;
            Tensor da = null, db = null;
            if (a.requiresGrad()) {
                da = sumToShape(g2.matmul(y2.transpose(y2.rank() - 2, y2.rank() - 1)), x2.shape())
                        .reshape(x.shape().toArray());
            }
            if (b.requiresGrad()) {
                db = sumToShape(x2.transpose(x2.rank() - 2, x2.rank() - 1).matmul(g2), y2.shape())
                        .reshape(y.shape().toArray());
            }
            return new Tensor[] {da, db};
        }, a, b);
    }
}
