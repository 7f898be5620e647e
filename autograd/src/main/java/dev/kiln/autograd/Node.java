package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * One recorded op in the graph: the op's name, its inputs and its backward closure (which holds the
 * tensors the op saved). {@link #free} drops both so that a finished graph pins no memory; a freed
 * node remembers only that it was freed, to fail loudly on a second backward.
 *
 * <p>The node also remembers the storage {@linkplain dev.kiln.tensor.storage.Storage#version()
 * version} of its inputs' values and of its output when it was recorded: a backward closure may
 * read any of them, so if one was modified in place since (a hand-written parameter update
 * before backward, say), {@link #checkSavedUnchanged} refuses to compute a silently wrong gradient.
 */
final class Node {
    final String op;
    private Var[] inputs;
    private Backward backward;
    private Tensor[] watched;
    private int[] versions;

    Node(String op, Var[] inputs, Backward backward, Tensor output) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
        this.watched = new Tensor[inputs.length + 1];
        this.versions = new int[inputs.length + 1];
        for (int i = 0; i < inputs.length; i++) {
            watched[i] = inputs[i].value();
        }
        watched[inputs.length] = output;
        for (int i = 0; i < watched.length; i++) {
            versions[i] = watched[i].storage().version();
        }
    }

    boolean isFreed() {
        return backward == null;
    }

    /** The inputs, or an empty array once freed. */
    Var[] inputs() {
        return inputs == null ? new Var[0] : inputs;
    }

    Backward backward() {
        if (backward == null) {
            throw new IllegalStateException("backward: the graph of op '" + op + "' was already freed by an earlier "
                    + "backward(); call backward(gradient, true) (retainGraph) the first time to backward through it again");
        }
        return backward;
    }

    /** Throws when a tensor this op's backward may read was modified in place after the op ran. */
    void checkSavedUnchanged() {
        if (watched == null) {
            return;
        }
        for (int i = 0; i < watched.length; i++) {
            int now = watched[i].storage().version();
            if (now != versions[i]) {
                String which = i < inputs.length ? "input " + i : "its output";
                throw new IllegalStateException("backward: " + which + " of op '" + op + "' (shape " + watched[i].shape()
                        + ") was modified in place after the op ran (version " + versions[i] + " -> " + now
                        + "), so its gradient would be wrong; update parameters after backward(), or compute on a copy");
            }
        }
    }

    void free() {
        inputs = null;
        backward = null;
        watched = null;
        versions = null;
    }
}
