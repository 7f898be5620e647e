package dev.kiln.autograd;

/**
 * One recorded op in the graph: the op's name, its inputs and its backward closure (which holds the
 * tensors the op saved). {@link #free} drops both so that a finished graph pins no memory; a freed
 * node remembers only that it was freed, to fail loudly on a second backward.
 */
final class Node {
    final String op;
    private Var[] inputs;
    private Backward backward;

    Node(String op, Var[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
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

    void free() {
        inputs = null;
        backward = null;
    }
}
