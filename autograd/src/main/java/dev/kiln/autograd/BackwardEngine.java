package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One reverse pass over a recorded graph, shared by {@link Var#backward} (accumulate into the
 * leaves' {@code grad}) and {@link Autograd#grad} (return the gradients of chosen Vars, touch no
 * {@code grad}).
 *
 * <p>The graph's vertices ("targets") are {@link Node}s (op results) and leaf {@link Var}s. The
 * walk is iterative: a post-order DFS with an explicit stack gives every target after all of its
 * inputs, and walking that order backwards sees every user of a target (so every contribution to
 * its gradient) before the target itself. A graph of any depth runs in constant stack space.
 *
 * <p>Memory: each node's backward runs in its own {@link TensorScope}, so the temporaries it
 * creates go back to the buffer pool as soon as it returns; only the gradients it hands on
 * survive. Unless {@code retainGraph}, each node drops its saved tensors and closure right after
 * its backward ran, so a finished graph pins nothing.
 */
final class BackwardEngine {
    private BackwardEngine() {}

    /** The graph vertex of a Var: its node when it is an op result, else the (leaf) Var itself. */
    static Object targetOf(Var v) {
        return v.node() != null ? v.node() : v;
    }

    /**
     * Runs the pass from {@code roots} seeded with {@code seeds}. When {@code capture} is null,
     * leaves accumulate their gradient; otherwise the gradient of each captured Var is stored in
     * {@code capture} (absent when it received none) and no leaf is modified.
     */
    static void run(List<Var> roots, List<Tensor> seeds, boolean retainGraph, Map<Var, Tensor> capture) {
        Map<Object, Var> captured = null;
        if (capture != null) {
            captured = new IdentityHashMap<>();
            for (Var v : capture.keySet()) {
                captured.put(targetOf(v), v);
            }
        }
        List<Object> rootTargets = new ArrayList<>();
        for (Var r : roots) {
            rootTargets.add(targetOf(r));
        }
        List<Object> order = topologicalOrder(rootTargets);
        Map<Object, Boolean> needed = captured == null ? null : neededFor(order, captured);
        Map<Object, Tensor> pending = new IdentityHashMap<>();
        boolean checkAnomalies = AnomalyMode.current() == AnomalyMode.Setting.TRACE_AND_CHECK;
        for (int i = 0; i < roots.size(); i++) {
            Tensor seed = seeds.get(i);
            DType want = roots.get(i).value().dtype();
            pending.merge(rootTargets.get(i), seed.dtype() == want ? seed : seed.to(want), Tensor::add);
        }
        for (int i = order.size() - 1; i >= 0; i--) {
            Object t = order.get(i);
            Tensor g = pending.remove(t);
            if (g == null || (needed != null && !needed.containsKey(t))) {
                continue; // reached only through inputs that needed no gradient, or leads to no captured Var
            }
            if (t instanceof Var leaf) {
                g = leaf.runHooks(g);
                if (captured != null) {
                    if (captured.containsKey(leaf)) {
                        capture.put(leaf, g);
                    }
                } else {
                    leaf.accumulate(g);
                }
                continue;
            }
            Node node = (Node) t;
            g = Var.runHooks(node.hooks, g, node.outputShape);
            if (captured != null && captured.containsKey(node)) {
                capture.put(captured.get(node), g);
            }
            if (captured == null && node.retainTarget != null) {
                node.retainTarget.accumulate(g);
            }
            int n = node.inputCount();
            if (needed != null && !anyNeeded(node, needed)) {
                continue; // a captured Var with nothing captured upstream: its own backward is not needed
            }
            node.checkSavedUnchanged();
            Tensor[] gs;
            try (TensorScope scope = TensorScope.open()) {
                gs = node.backward().apply(g);
                for (Tensor r : gs) {
                    if (r != null) {
                        scope.keep(r);
                    }
                }
            }
            if (checkAnomalies) {
                AnomalyMode.checkBackward(node, gs);
            }
            for (int k = 0; k < n; k++) {
                Object in = node.target(k);
                if (in == null || gs[k] == null || (needed != null && !needed.containsKey(in))) {
                    continue;
                }
                Tensor gk = gs[k];
                if (gk.dtype() != node.inputDtype(k)) {
                    // A gradient has its tensor's dtype (as in torch): an F16 activation gets an F16
                    // gradient even when the op that used it promoted to F32.
                    gk = gk.to(node.inputDtype(k));
                }
                if (!gk.shape().equals(node.inputShape(k))) {
                    throw new IllegalStateException("backward of '" + node.op + "': gradient for input " + k
                            + " has shape " + gk.shape() + ", expected " + node.inputShape(k));
                }
                pending.merge(in, gk, Tensor::add);
            }
            if (!retainGraph) {
                node.free();
            }
        }
    }

    private static boolean anyNeeded(Node node, Map<Object, Boolean> needed) {
        for (int k = 0; k < node.inputCount(); k++) {
            Object in = node.target(k);
            if (in != null && needed.containsKey(in)) {
                return true;
            }
        }
        return false;
    }

    /** Targets that are captured or lead (through recorded inputs) to a captured one; order has inputs first. */
    private static Map<Object, Boolean> neededFor(List<Object> order, Map<Object, Var> captured) {
        Map<Object, Boolean> needed = new IdentityHashMap<>();
        for (Object t : order) {
            boolean n = captured.containsKey(t) || (t instanceof Node node && anyNeeded(node, needed));
            if (n) {
                needed.put(t, Boolean.TRUE);
            }
        }
        return needed;
    }

    /**
     * Post-order DFS with an explicit stack: every target that requires a gradient and is reachable
     * from a root, each after all of its inputs. A freed node contributes no inputs (its backward
     * throws when reached).
     */
    private static List<Object> topologicalOrder(List<Object> roots) {
        List<Object> order = new ArrayList<>();
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>(); // index of the next input to visit, per stack entry
        for (Object root : roots) {
            if (seen.containsKey(root)) {
                continue;
            }
            stack.push(root);
            next.push(0);
            seen.put(root, Boolean.TRUE);
            while (!stack.isEmpty()) {
                Object t = stack.peek();
                int k = next.pop();
                Node node = t instanceof Node nd ? nd : null;
                int n = node == null ? 0 : node.inputCount();
                while (k < n && (node.target(k) == null || seen.containsKey(node.target(k)))) {
                    k++;
                }
                if (k < n) {
                    next.push(k + 1);
                    Object in = node.target(k);
                    seen.put(in, Boolean.TRUE);
                    stack.push(in);
                    next.push(0);
                } else {
                    stack.pop();
                    order.add(t);
                }
            }
        }
        return order;
    }
}
