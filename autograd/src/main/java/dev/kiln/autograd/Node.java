package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.storage.Storage;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One recorded op in the graph (torch's grad_fn): the op's name, where each input's gradient goes,
 * and the backward closure (which holds exactly the tensors the op saved).
 *
 * <p>A node does not hold its inputs' values: an input that is itself an op result is referenced
 * through its node, a leaf through its Var (parameters are held by their owner anyway). So an
 * intermediate value that no backward saved is garbage as soon as the user drops its Var, and a
 * graph pins only what backward needs, as in PyTorch. Each input's shape and dtype are kept to
 * check and cast the gradients flowing to it.
 *
 * <p>{@link #free} drops the closure and the edges, so a finished graph pins nothing; a freed node
 * remembers only that it was freed, to fail loudly on a second backward.
 *
 * <p>In-place checks: the node remembers the storage version of its inputs' and its output's values
 * when it was recorded (through weak references, so it keeps no buffer alive); if a storage that is
 * still alive changed since, {@link #checkSavedUnchanged} refuses to compute a silently wrong gradient.
 */
final class Node {
    final String op;
    final Shape outputShape;
    private Backward backward;
    /** Per input: the input's node, or null for a leaf. */
    private Node[] inputNodes;
    /** Per input: the leaf Var when the input is a leaf, else null. */
    private Var[] inputLeaves;
    private boolean[] inputRequiresGrad;
    private Shape[] inputShapes;
    private DType[] inputDtypes;
    private List<WeakReference<Storage>> watched;
    private int[] versions;
    /** Hooks registered on the Var this node produced (its gradient passes through them). */
    List<UnaryOperator<Tensor>> hooks;
    /** The Var whose gradient to keep when retainGrad() was called on it, else null. */
    Var retainTarget;
    /** Where the op was called, recorded only in {@link AnomalyMode}; null otherwise. */
    StackTraceElement[] creationTrace;

    Node(String op, Var[] inputs, Backward backward, Tensor output) {
        this.op = op;
        this.outputShape = output.shape();
        this.backward = backward;
        int n = inputs.length;
        inputNodes = new Node[n];
        inputLeaves = new Var[n];
        inputRequiresGrad = new boolean[n];
        inputShapes = new Shape[n];
        inputDtypes = new DType[n];
        watched = new ArrayList<>(n + 1);
        versions = new int[n + 1];
        for (int i = 0; i < n; i++) {
            Var in = inputs[i];
            inputRequiresGrad[i] = in.requiresGrad();
            if (in.requiresGrad()) {
                if (in.node() != null) {
                    inputNodes[i] = in.node();
                } else {
                    inputLeaves[i] = in;
                }
            }
            inputShapes[i] = in.value().shape();
            inputDtypes[i] = in.value().dtype();
            watched.add(new WeakReference<>(in.value().storage()));
            versions[i] = in.value().storage().version();
        }
        watched.add(new WeakReference<>(output.storage()));
        versions[n] = output.storage().version();
    }

    boolean isFreed() {
        return backward == null;
    }

    /** Number of inputs (0 once freed). */
    int inputCount() {
        return inputNodes == null ? 0 : inputNodes.length;
    }

    /** Where input k's gradient goes: its Node, its leaf Var, or null when it needs none. */
    Object target(int k) {
        if (!inputRequiresGrad[k]) {
            return null;
        }
        return inputNodes[k] != null ? inputNodes[k] : inputLeaves[k];
    }

    Shape inputShape(int k) {
        return inputShapes[k];
    }

    DType inputDtype(int k) {
        return inputDtypes[k];
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
        for (int i = 0; i < watched.size(); i++) {
            Storage s = watched.get(i).get();
            if (s == null) {
                continue; // collected: no backward closure saved it
            }
            int now = s.version();
            if (now != versions[i]) {
                String which = i < inputNodes.length ? "input " + i + " (shape " + inputShapes[i] + ")"
                        : "its output (shape " + outputShape + ")";
                throw new IllegalStateException("backward: " + which + " of op '" + op + "' was modified in place after the op "
                        + "ran (version " + versions[i] + " -> " + now + "), so its gradient would be wrong; update "
                        + "parameters after backward(), or compute on a copy");
            }
        }
    }

    void free() {
        backward = null;
        inputNodes = null;
        inputLeaves = null;
        inputRequiresGrad = null;
        watched = null;
        versions = null;
    }
}
