package dev.kiln.nn;

import dev.kiln.autograd.Var;
import java.util.List;

/** Modules applied one after another; children are named "0", "1", ... as in torch. */
public final class Sequential extends UnaryModule {
    private final List<UnaryModule> layers;

    public Sequential(UnaryModule... layers) {
        this.layers = List.of(layers);
        for (int i = 0; i < layers.length; i++) {
            registerModule(Integer.toString(i), layers[i]);
        }
    }

    public UnaryModule get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Var forward(Var input) {
        Var x = input;
        for (UnaryModule m : layers) {
            x = m.forward(x);
        }
        return x;
    }
}
