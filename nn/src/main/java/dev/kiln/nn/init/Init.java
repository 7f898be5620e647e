package dev.kiln.nn.init;

import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * Parameter initializers (torch's {@code nn.init}), each filling a tensor in place and returning
 * it. Fans follow torch: for a weight of shape [out, in, k...], {@code fanIn = in * prod(k)} and
 * {@code fanOut = out * prod(k)}.
 *
 * <p>Randomness comes from an explicit {@link Generator}; layers constructed without one use
 * {@link Generator#defaultGenerator()}, which {@link Generator#manualSeed} resets (torch.manual_seed).
 */
public final class Init {
    private Init() {}

    /** The generator layers use when none is given: {@link Generator#defaultGenerator()}. */
    public static Generator globalGenerator() {
        return Generator.defaultGenerator();
    }

    /** {@link Generator#manualSeed(long)}: restarts the default generator at {@code seed}. */
    public static void manualSeed(long seed) {
        Generator.manualSeed(seed);
    }

    /** Which fan a Kaiming initializer preserves the variance of. */
    public enum FanMode { FAN_IN, FAN_OUT }

    /** Nonlinearities with a recommended gain (torch's calculate_gain). */
    public enum Nonlinearity { LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, SELU }

    /** torch.nn.init.calculate_gain; {@code param} is leaky_relu's negative slope (torch's default 0.01). */
    public static double gain(Nonlinearity nl, double param) {
        return switch (nl) {
            case LINEAR, SIGMOID -> 1.0;
            case TANH -> 5.0 / 3;
            case RELU -> Math.sqrt(2.0);
            case LEAKY_RELU -> Math.sqrt(2.0 / (1 + param * param));
            case SELU -> 3.0 / 4;
        };
    }

    /** {fanIn, fanOut} of a weight of rank >= 2. */
    public static int[] fans(Tensor t) {
        if (t.rank() < 2) {
            throw new IllegalArgumentException("init: fan in and fan out need a tensor of rank >= 2, got shape " + t.shape());
        }
        int receptive = 1;
        for (int i = 2; i < t.rank(); i++) {
            receptive *= t.size(i);
        }
        return new int[] {t.size(1) * receptive, t.size(0) * receptive};
    }

    public static Tensor uniform(Tensor t, double low, double high, Generator g) {
        try (DeviceScope _ = DeviceScope.enter(t.device()); Tensor u = Tensor.rand(g, t.shape().toArray()); Tensor scaled = u.mul(high - low); Tensor shifted = scaled.add(low)) {
            return t.copyFrom(shifted);
        }
    }

    public static Tensor normal(Tensor t, double mean, double std, Generator g) {
        try (DeviceScope _ = DeviceScope.enter(t.device()); Tensor n = Tensor.randn(g, t.shape().toArray()); Tensor scaled = n.mul(std); Tensor shifted = scaled.add(mean)) {
            return t.copyFrom(shifted);
        }
    }

    public static Tensor constant(Tensor t, double value) {
        return t.fill(value);
    }

    public static Tensor zeros(Tensor t) {
        return constant(t, 0);
    }

    public static Tensor ones(Tensor t) {
        return constant(t, 1);
    }

    /** Glorot uniform: U(-b, b) with {@code b = gain * sqrt(6 / (fanIn + fanOut))}. */
    public static Tensor xavierUniform(Tensor t, double gain, Generator g) {
        int[] f = fans(t);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform(t, -bound, bound, g);
    }

    /** Glorot normal: N(0, std) with {@code std = gain * sqrt(2 / (fanIn + fanOut))}. */
    public static Tensor xavierNormal(Tensor t, double gain, Generator g) {
        int[] f = fans(t);
        return normal(t, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), g);
    }

    /**
     * He uniform: U(-b, b) with {@code b = gain * sqrt(3 / fan)}, gain from {@code nl} (and
     * {@code a}, the leaky-relu slope). torch's Linear and Conv use a = sqrt(5), LEAKY_RELU, FAN_IN.
     */
    public static Tensor kaimingUniform(Tensor t, double a, FanMode mode, Nonlinearity nl, Generator g) {
        int[] f = fans(t);
        int fan = mode == FanMode.FAN_IN ? f[0] : f[1];
        double bound = gain(nl, a) * Math.sqrt(3.0 / fan);
        return uniform(t, -bound, bound, g);
    }

    /** He normal: N(0, std) with {@code std = gain / sqrt(fan)}. */
    public static Tensor kaimingNormal(Tensor t, double a, FanMode mode, Nonlinearity nl, Generator g) {
        int[] f = fans(t);
        int fan = mode == FanMode.FAN_IN ? f[0] : f[1];
        return normal(t, 0, gain(nl, a) / Math.sqrt(fan), g);
    }
}
