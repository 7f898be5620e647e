package dev.kiln.nn.transformer;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.UnaryModule;
import dev.kiln.tensor.random.Generator;

/** The transformer MLP: {@code linear2(gelu(linear1(x)))}, dModel -> dFeedForward -> dModel. */
public final class FeedForward extends UnaryModule {
    public final Linear linear1;
    public final Linear linear2;

    public FeedForward(int dModel, int dFeedForward, Generator g) {
        linear1 = registerModule("linear1", new Linear(dModel, dFeedForward, true, g));
        linear2 = registerModule("linear2", new Linear(dFeedForward, dModel, true, g));
    }

    @Override
    public Var forward(Var x) {
        return linear2.forward(linear1.forward(x).gelu());
    }
}
