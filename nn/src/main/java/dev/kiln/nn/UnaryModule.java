package dev.kiln.nn;

import dev.kiln.autograd.Var;

/** A module with one input and one output, the kind {@link Sequential} chains. */
public abstract class UnaryModule extends Module {
    public abstract Var forward(Var input);
}
