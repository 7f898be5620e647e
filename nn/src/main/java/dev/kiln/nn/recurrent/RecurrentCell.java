package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.Arrays;

/**
 * What {@link RNNCell}, {@link LSTMCell} and {@link GRUCell} share (torch's {@code RNNCellBase}):
 * {@code weight_ih} [G*H, in], {@code weight_hh} [G*H, H], {@code bias_ih} and {@code bias_hh}
 * [G*H], all U(-1/sqrt(H), 1/sqrt(H)), and the checks on one step's input x [N, in] (or [in]
 * unbatched) and state [N, H] (or [H]).
 */
public abstract sealed class RecurrentCell extends Module permits RNNCell, LSTMCell, GRUCell {
    public final int inputSize;
    public final int hiddenSize;
    public final Var weightIh;
    public final Var weightHh;
    /** Null without bias. */
    public final Var biasIh;
    /** Null without bias. */
    public final Var biasHh;

    RecurrentCell(int gates, int inputSize, int hiddenSize, boolean bias, Generator g) {
        String name = getClass().getSimpleName();
        if (inputSize < 1 || hiddenSize < 1) {
            throw new IllegalArgumentException(name + ": inputSize and hiddenSize must be positive, got " + inputSize
                    + " and " + hiddenSize);
        }
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        double bound = 1 / Math.sqrt(hiddenSize);
        int rows = gates * hiddenSize;
        weightIh = registerParameter("weight_ih", Init.uniform(Tensor.empty(rows, inputSize), -bound, bound, g));
        weightHh = registerParameter("weight_hh", Init.uniform(Tensor.empty(rows, hiddenSize), -bound, bound, g));
        biasIh = bias ? registerParameter("bias_ih", Init.uniform(Tensor.empty(rows), -bound, bound, g)) : null;
        biasHh = bias ? registerParameter("bias_hh", Init.uniform(Tensor.empty(rows), -bound, bound, g)) : null;
    }

    /** Checks x [N, in] or [in]. */
    final void checkInput(Var x) {
        Tensor v = x == null ? null : x.value();
        if (v == null || (v.rank() != 1 && v.rank() != 2) || v.size(-1) != inputSize) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": input must have shape [batch, " + inputSize
                    + "] or [" + inputSize + "], got " + (v == null ? "null" : v.shape()));
        }
        if (v.dtype() != weightIh.value().dtype()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": input dtype " + v.dtype()
                    + " differs from the parameters' " + weightIh.value().dtype());
        }
    }

    /** A state matching x (batched or not): the given one, checked, or zeros when null. */
    final Var state(String what, Var given, Var x) {
        Tensor v = x.value();
        int[] expected = v.rank() == 2 ? new int[] {v.size(0), hiddenSize} : new int[] {hiddenSize};
        if (given == null) {
            return Var.constant(v.newZeros(v.dtype(), expected));
        }
        if (!Arrays.equals(given.value().shape().toArray(), expected)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + what + " must have shape "
                    + Arrays.toString(expected) + " for input of shape " + v.shape() + ", got " + given.value().shape());
        }
        return given;
    }

    @Override
    protected String extraRepr() {
        return inputSize + ", " + hiddenSize + (biasIh == null ? ", bias=False" : "");
    }
}
