package dev.kiln.autograd;

import static dev.kiln.autograd.ShapeOps.sumToShape;

import dev.kiln.tensor.Tensor;

/**
 * Elementwise ops, forward and backward side by side. Binary ops broadcast like NumPy; their
 * backward sums the output gradient back to each input's shape ({@link ShapeOps#sumToShape}).
 * {@code g} is always the gradient of the output (the broadcast shape).
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    // a + b: da = g, db = g
    static Var add(Var a, Var b) {
        Tensor x = a.value(), y = b.value();
        return Var.op("add", x.add(y), g -> new Tensor[] {sumToShape(g, x.shape()), sumToShape(g, y.shape())}, a, b);
    }

    // a - b: da = g, db = -g
    static Var sub(Var a, Var b) {
        Tensor x = a.value(), y = b.value();
        return Var.op("sub", x.sub(y), g -> new Tensor[] {sumToShape(g, x.shape()), sumToShape(g.neg(), y.shape())}, a, b);
    }

    // a * b: da = g*b, db = g*a
    static Var mul(Var a, Var b) {
        Tensor x = a.value(), y = b.value();
        return Var.op("mul", x.mul(y), g -> new Tensor[] {
                a.requiresGrad() ? sumToShape(g.mul(y), x.shape()) : null,
                b.requiresGrad() ? sumToShape(g.mul(x), y.shape()) : null}, a, b);
    }

    // a / b: da = g/b, db = -g*a/b^2 = -g*out/b
    static Var div(Var a, Var b) {
        Tensor x = a.value(), y = b.value();
        Tensor out = x.div(y);
        return Var.op("div", out, g -> new Tensor[] {
                a.requiresGrad() ? sumToShape(g.div(y), x.shape()) : null,
                b.requiresGrad() ? sumToShape(g.mul(out).div(y).neg(), y.shape()) : null}, a, b);
    }

    // a + s: da = g
    static Var add(Var a, double s) {
        return Var.op("add", a.value().add(s), g -> new Tensor[] {g}, a);
    }

    // a * s: da = g*s
    static Var mul(Var a, double s) {
        return Var.op("mul", a.value().mul(s), g -> new Tensor[] {g.mul(s)}, a);
    }

    // a^p (p a constant): da = g * p * a^(p-1)
    static Var pow(Var a, double p) {
        a = AutocastPolicy.cast("pow", a);
        Tensor x = a.value();
        return Var.op("pow", x.pow(p), g -> new Tensor[] {g.mul(x.pow(p - 1)).mul(p)}, a);
    }

    // -a: da = -g
    static Var neg(Var a) {
        return Var.op("neg", a.value().neg(), g -> new Tensor[] {g.neg()}, a);
    }

    // exp(a): da = g*out
    static Var exp(Var a) {
        a = AutocastPolicy.cast("exp", a);
        Tensor out = a.value().exp();
        return Var.op("exp", out, g -> new Tensor[] {g.mul(out)}, a);
    }

    // log(a): da = g/a
    static Var log(Var a) {
        a = AutocastPolicy.cast("log", a);
        Tensor x = a.value();
        return Var.op("log", x.log(), g -> new Tensor[] {g.div(x)}, a);
    }

    // sqrt(a): da = g / (2*out)
    static Var sqrt(Var a) {
        Tensor out = a.value().sqrt();
        return Var.op("sqrt", out, g -> new Tensor[] {g.div(out).mul(0.5)}, a);
    }

    // tanh(a): da = g*(1 - out^2)
    static Var tanh(Var a) {
        Tensor out = a.value().tanh();
        return Var.op("tanh", out, g -> new Tensor[] {g.mul(out.mul(out).neg().add(1.0))}, a);
    }

    // sigmoid(a): da = g*out*(1 - out)
    static Var sigmoid(Var a) {
        Tensor out = a.value().sigmoid();
        return Var.op("sigmoid", out, g -> new Tensor[] {g.mul(out).mul(out.neg().add(1.0))}, a);
    }

    // relu(a): da = g where a > 0, else 0 (the subgradient at 0 is 0, as in torch)
    static Var relu(Var a) {
        Tensor x = a.value();
        return Var.op("relu", x.relu(), g -> new Tensor[] {g.reluBackward(x)}, a);
    }

    // silu(a) = a*s, s = sigmoid(a): da = g * s * (1 + a*(1 - s))
    static Var silu(Var a) {
        Tensor x = a.value();
        return Var.op("silu", x.silu(), g -> {
            Tensor s = x.sigmoid();
            return new Tensor[] {g.mul(s).mul(x.mul(s.neg().add(1.0)).add(1.0))};
        }, a);
    }


    // gelu(a) = a*Phi(a), Phi(a) = 0.5*(1 + erf(a/sqrt 2)): da = g * (Phi(a) + a*phi(a)), phi(a) = exp(-a^2/2)/sqrt(2 pi)
    static Var gelu(Var a) {
        Tensor x = a.value();
        return Var.op("gelu", x.gelu(), g -> new Tensor[] {g.mul(x.geluDerivative())}, a);
    }

    // erf(a): da = g * 2/sqrt(pi) * exp(-a^2)
    static Var erf(Var a) {
        Tensor x = a.value();
        return Var.op("erf", x.erf(), g -> new Tensor[] {g.mul(x.mul(x).neg().exp().mul(2 / Math.sqrt(Math.PI)))}, a);
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_C = 0.044715;

    // geluTanh(a) = 0.5*a*(1 + t), t = tanh(u), u = sqrt(2/pi)*(a + c*a^3):
    // da = g * (0.5*(1 + t) + 0.5*a*(1 - t^2)*sqrt(2/pi)*(1 + 3c*a^2))
    static Var geluTanh(Var a) {
        Tensor x = a.value();
        return Var.op("geluTanh", x.geluTanh(), g -> {
            Tensor x2 = x.mul(x);
            Tensor t = x.add(x2.mul(x).mul(GELU_C)).mul(SQRT_2_OVER_PI).tanh();
            Tensor left = t.add(1.0).mul(0.5);
            Tensor du = x2.mul(3 * GELU_C).add(1.0).mul(SQRT_2_OVER_PI);
            Tensor right = x.mul(t.mul(t).neg().add(1.0)).mul(du).mul(0.5);
            return new Tensor[] {g.mul(left.add(right))};
        }, a);
    }

    // |a|: da = g*sign(a) (0 at a = 0, as in torch)
    static Var abs(Var a) {
        Tensor x = a.value();
        return Var.op("abs", x.abs(), g -> new Tensor[] {g.mul(x.sign())}, a);
    }

    // log1p(a): da = g/(1 + a)
    static Var log1p(Var a) {
        a = AutocastPolicy.cast("log1p", a);
        Tensor x = a.value();
        return Var.op("log1p", x.log1p(), g -> new Tensor[] {g.div(x.add(1.0))}, a);
    }

    // rsqrt(a) = a^(-1/2): da = -0.5*g*out^3
    static Var rsqrt(Var a) {
        a = AutocastPolicy.cast("rsqrt", a);
        Tensor out = a.value().rsqrt();
        return Var.op("rsqrt", out, g -> new Tensor[] {g.mul(out.mul(out).mul(out)).mul(-0.5)}, a);
    }

    // sin(a): da = g*cos(a)
    static Var sin(Var a) {
        Tensor x = a.value();
        return Var.op("sin", x.sin(), g -> new Tensor[] {g.mul(x.cos())}, a);
    }

    // cos(a): da = -g*sin(a)
    static Var cos(Var a) {
        Tensor x = a.value();
        return Var.op("cos", x.cos(), g -> new Tensor[] {g.mul(x.sin()).neg()}, a);
    }

    // maximum(a, b) (or minimum): the gradient goes to the larger (smaller) input; ties split it
    // in half, as torch does.
    static Var extremum(Var a, Var b, boolean max) {
        Tensor x = a.value(), y = b.value();
        Tensor out = max ? x.maximum(y) : x.minimum(y);
        return Var.op(max ? "maximum" : "minimum", out, g -> {
            Tensor wins = (max ? x.gt(y) : x.lt(y)).to(g.dtype());
            Tensor ties = x.eq(y).to(g.dtype()).mul(0.5);
            Tensor share = wins.add(ties);
            return new Tensor[] {
                sumToShape(g.mul(share), x.shape()),
                sumToShape(g.mul(share.neg().add(1.0)), y.shape())};
        }, a, b);
    }

    // where(cond, a, b): da = g where cond, db = g elsewhere (cond is a constant BOOL tensor)
    static Var where(Tensor cond, Var a, Var b) {
        Tensor x = a.value(), y = b.value();
        return Var.op("where", Tensor.where(cond, x, y), g -> {
            Tensor zero = g.newScalar(0, g.dtype());
            return new Tensor[] {
                sumToShape(Tensor.where(cond, g, zero), x.shape()),
                sumToShape(Tensor.where(cond, zero, g), y.shape())};
        }, a, b);
    }

    // a^b (both tensors, broadcast): da = g * b * a^(b-1), db = g * out * log(a)
    // (db is taken as 0 where a == 0 and b >= 0, where log(a) = -inf would give 0 * -inf; torch does the same)
    static Var pow(Var base, Var exponent) {
        Var a = AutocastPolicy.cast("pow", base);
        Var b = AutocastPolicy.cast("pow", exponent);
        Tensor x = a.value(), y = b.value();
        Tensor out = x.pow(y);
        return Var.op("pow", out, g -> {
            Tensor da = null;
            Tensor db = null;
            if (a.requiresGrad()) {
                da = sumToShape(g.mul(y).mul(x.pow(y.sub(y.newScalar(1, y.dtype())))), x.shape());
            }
            if (b.requiresGrad()) {
                Tensor full = g.mul(out).mul(x.log());
                Tensor zero = full.newScalar(0, full.dtype());
                // 0^b with b >= 0 has no dependence on b worth -inf * 0: use 0 there
                Tensor fixed = Tensor.where(x.eq(0.0), Tensor.where(y.lt(0.0), full, zero), full);
                db = sumToShape(fixed, y.shape());
            }
            return new Tensor[] {da, db};
        }, a, b);
    }

    // clamp(a, min, max) (NaN bound = none): da = g where min <= a <= max, else 0 (bounds inclusive, as in torch)
    static Var clamp(Var a, double min, double max) {
        Tensor x = a.value();
        return Var.op("clamp", x.clamp(min, max), g -> {
            Tensor outside = x.newZeros(dev.kiln.tensor.DType.BOOL, x.shape().toArray());
            if (!Double.isNaN(min)) {
                outside = outside.add(x.lt(min));
            }
            if (!Double.isNaN(max)) {
                outside = outside.add(x.gt(max));
            }
            return new Tensor[] {g.maskedFill(outside, 0)};
        }, a);
    }

    // maskedFill(a, mask, value): da = g where the mask is false, 0 where it filled
    static Var maskedFill(Var a, Tensor mask, double value) {
        Tensor x = a.value();
        return Var.op("maskedFill", x.maskedFill(mask, value), g -> new Tensor[] {g.maskedFill(mask, 0)}, a);
    }

    // a.to(dtype): da = g converted back to a's dtype (mixed precision casts)
    static Var to(Var a, dev.kiln.tensor.DType dtype) {
        Tensor x = a.value();
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("to: a differentiable cast needs a floating-point target, got " + dtype);
        }
        dev.kiln.tensor.DType from = x.dtype(); // capture the dtype only: the input value need not stay alive
        return Var.op("to", x.to(dtype), g -> new Tensor[] {g.to(from)}, a);
    }

    // sign(a): piecewise constant, so da = 0 everywhere (torch's choice at the jump too)
    static Var sign(Var a) {
        Tensor x = a.value();
        return Var.op("sign", x.sign(), g -> new Tensor[] {g.newZeros(g.dtype(), x.shape().toArray())}, a);
    }
}
