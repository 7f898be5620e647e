package dev.kiln.nn;

import dev.kiln.autograd.Var;

/** Merges all dims from {@code startDim} (default 1: keep the batch dim) into one. */
public final class Flatten extends UnaryModule {
    private final int startDim;

    public Flatten() {
        this(1);
    }

    public Flatten(int startDim) {
        this.startDim = startDim;
    }

    /** The first dim merged (the last is always -1). */
    public int startDim() {
        return startDim;
    }

    @Override
    public Var forward(Var x) {
        return x.flatten(startDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=-1";
    }
}
