package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.random.Generator;

/**
 * Inverted dropout: in training mode zeroes elements with probability p and scales the rest by
 * 1/(1-p); the identity in eval mode. Masks come from this layer's own generator, so a run is
 * reproducible from its seed.
 */
public final class Dropout extends UnaryModule {
    private final double p;
    private final Generator generator;

    public Dropout(double p) {
        this(p, Init.globalGenerator().split());
    }

    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        }
        this.p = p;
        this.generator = generator;
    }

    /**
     * The generator the masks come from; a training checkpoint saves and restores it so that a
     * resumed run draws the masks the uninterrupted run would have drawn.
     */
    public Generator generator() {
        return generator;
    }

    @Override
    public Var forward(Var x) {
        return Functional.dropout(x, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
