package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.Window2d;

/**
 * The sliding-window pair behind convolution and pooling. im2col and col2im are adjoint linear
 * maps, so each one's backward is the other.
 */
final class WindowOps {
    private WindowOps() {}

    // cols = im2col(a) [N, C*kh*kw, L]: da = col2im(g) (padding positions read a constant: no gradient)
    static Var im2col(Var a, Window2d window, double padValue) {
        Tensor x = a.value();
        int h = x.size(2), w = x.size(3);
        return Var.op("im2col", x.im2col(window, padValue), g -> new Tensor[] {g.col2im(h, w, window)}, a);
    }

    // cols = im2colWide(a) [C*kh*kw, N*L]: da = col2imWide(g)
    static Var im2colWide(Var a, Window2d window) {
        Tensor x = a.value();
        int n = x.size(0), h = x.size(2), w = x.size(3);
        return Var.op("im2colWide", x.im2colWide(window), g -> new Tensor[] {g.col2imWide(n, h, w, window)}, a);
    }

    // img = col2im(a, h, w) [N, C, h, w]: da = im2col(g) with zero padding
    static Var col2im(Var a, int height, int width, Window2d window) {
        return Var.op("col2im", a.value().col2im(height, width, window), g -> new Tensor[] {g.im2col(window, 0)}, a);
    }

    // values, indices = maxPool2d(a): da = the gradient scattered to each window's maximum (the first one on ties)
    static Var maxPool2d(Var a, Window2d window) {
        Tensor x = a.value();
        Tensor.MaxPool r = x.maxPool2d(window);
        Tensor indices = r.indices();
        int h = x.size(2), w = x.size(3);
        return Var.op("maxPool2d", r.values(), g -> new Tensor[] {Tensor.maxPool2dBackward(g, indices, h, w)}, a);
    }
}
