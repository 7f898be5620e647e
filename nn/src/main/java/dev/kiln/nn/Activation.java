package dev.kiln.nn;

import dev.kiln.autograd.Var;
import java.util.function.UnaryOperator;

/** Parameter-free elementwise layers (ReLU, GELU, ...), each a named wrapper around a Var op. */
public final class Activation extends UnaryModule {
    private final String name;
    private final String extra;
    private final int dim;
    private final UnaryOperator<Var> fn;

    private Activation(String name, String extra, UnaryOperator<Var> fn) {
        this(name, extra, 0, fn);
    }

    private Activation(String name, String extra, int dim, UnaryOperator<Var> fn) {
        this.name = name;
        this.extra = extra;
        this.dim = dim;
        this.fn = fn;
    }

    /** torch's class name: ReLU, GELU, SiLU, Tanh, Sigmoid, Softmax or LogSoftmax. */
    public String name() {
        return name;
    }

    /** Whether this is GELU's tanh approximation (approximate='tanh'). */
    public boolean approximate() {
        return !extra.isEmpty() && name.equals("GELU");
    }

    /** The dim Softmax and LogSoftmax normalise over (0 for the elementwise activations). */
    public int dim() {
        return dim;
    }

    public static Activation relu() {
        return new Activation("ReLU", "", Var::relu);
    }

    /** The exact GELU, {@code x * Phi(x)}. */
    public static Activation gelu() {
        return new Activation("GELU", "", Var::gelu);
    }

    /** GELU with the tanh approximation (torch's approximate='tanh'). */
    public static Activation geluTanh() {
        return new Activation("GELU", "approximate='tanh'", Var::geluTanh);
    }

    public static Activation silu() {
        return new Activation("SiLU", "", Var::silu);
    }

    public static Activation tanh() {
        return new Activation("Tanh", "", Var::tanh);
    }

    public static Activation sigmoid() {
        return new Activation("Sigmoid", "", Var::sigmoid);
    }

    public static Activation softmax(int dim) {
        return new Activation("Softmax", "dim=" + dim, dim, x -> x.softmax(dim));
    }

    public static Activation logSoftmax(int dim) {
        return new Activation("LogSoftmax", "dim=" + dim, dim, x -> x.logSoftmax(dim));
    }

    @Override
    public Var forward(Var x) {
        return fn.apply(x);
    }

    @Override
    protected String extraRepr() {
        return extra;
    }

    @Override
    public String toString() {
        return name + "(" + extra + ")";
    }
}
