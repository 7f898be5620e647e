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
 * <p>The walk is iterative: a post-order DFS with an explicit stack gives every Var after all of
 * its inputs, and walking that order backwards sees every user of a Var (so every contribution
 * to its gradient) before the Var itself. A graph of any depth runs in constant stack space.
 *
 * <p>Memory: each node's backward runs in its own {@link TensorScope}, so the temporaries it
 * creates go back to the buffer pool as soon as it returns; only the gradients it hands on
 * survive. Unless {@code retainGraph}, each node drops its saved tensors and closure right after
 * its backward ran, so a finished graph pins nothing.
 */
final class BackwardEngine {
    private BackwardEngine() {}

    /**
     * Runs the pass from {@code roots} seeded with {@code seeds}. When {@code capture} is null,
     * leaves accumulate their gradient; otherwise the gradient of each captured Var is stored in
     * {@code capture} (absent when it received none) and no leaf is modified.
     */
    static void run(List<Var> roots, List<Tensor> seeds, boolean retainGraph, Map<Var, Tensor> capture) {
        List<Var> order = topologicalOrder(roots);
        Map<Var, Boolean> needed = capture == null ? null : neededFor(order, capture);
        Map<Var, Tensor> pending = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) {
            Tensor seed = seeds.get(i);
            DType want = roots.get(i).value().dtype();
            pending.merge(roots.get(i), seed.dtype() == want ? seed : seed.to(want), Tensor::add);
        }
        for (int i = order.size() - 1; i >= 0; i--) {
            Var v = order.get(i);
            Tensor g = pending.remove(v);
            if (g == null || (needed != null && !needed.containsKey(v))) {
                continue; // reached only through inputs that needed no gradient, or leads to no captured Var
            }
            g = v.runHooks(g);
            if (capture != null && capture.containsKey(v)) {
                capture.put(v, g);
            }
            Node node = v.node();
            if (node == null) {
                if (capture == null) {
                    v.accumulate(g);
                }
                continue;
            }
            if (capture == null) {
                v.retainGradIfAsked(g);
            }
            Var[] inputs = node.inputs();
            if (needed != null && !anyNeeded(inputs, needed)) {
                continue; // a captured Var with nothing captured upstream: its own backward is not needed
            }
            node.checkSavedUnchanged();
            Tensor[] gs;
            try (TensorScope scope = TensorScope.open()) {
                gs = node.backward().apply(g);
                for (Tensor t : gs) {
                    if (t != null) {
                        scope.keep(t);
                    }
                }
            }
            for (int k = 0; k < inputs.length; k++) {
                Var in = inputs[k];
                if (!in.requiresGrad() || gs[k] == null || (needed != null && !needed.containsKey(in))) {
                    continue;
                }
                Tensor gk = gs[k];
                if (gk.dtype() != in.value().dtype()) {
                    // A gradient has its tensor's dtype (as in torch): an F16 activation gets an F16
                    // gradient even when the op that used it promoted to F32.
                    gk = gk.to(in.value().dtype());
                }
                if (!gk.shape().equals(in.value().shape())) {
                    throw new IllegalStateException("backward of '" + node.op + "': gradient for input " + k
                            + " has shape " + gk.shape() + ", expected " + in.value().shape());
                }
                pending.merge(in, gk, Tensor::add);
            }
            if (!retainGraph) {
                node.free();
            }
        }
    }

    private static boolean anyNeeded(Var[] inputs, Map<Var, Boolean> needed) {
        for (Var in : inputs) {
            if (needed.containsKey(in)) {
                return true;
            }
        }
        return false;
    }

    /** Vars that are captured or lead (through recorded inputs) to a captured Var; order has inputs first. */
    private static Map<Var, Boolean> neededFor(List<Var> order, Map<Var, Tensor> capture) {
        Map<Var, Boolean> needed = new IdentityHashMap<>();
        for (Var v : order) {
            boolean n = capture.containsKey(v);
            Node node = v.node();
            if (!n && node != null) {
                for (Var in : node.inputs()) {
                    if (needed.containsKey(in)) {
                        n = true;
                        break;
                    }
                }
            }
            if (n) {
                needed.put(v, Boolean.TRUE);
            }
        }
        return needed;
    }

    /**
     * Post-order DFS with an explicit stack: every Var that requires a gradient and is reachable
     * from a root, each after all of its inputs. A freed node contributes no inputs (its backward
     * throws when reached).
     */
    private static List<Var> topologicalOrder(List<Var> roots) {
        List<Var> order = new ArrayList<>();
        Map<Var, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Var> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>(); // index of the next input to visit, per stack entry
        for (Var root : roots) {
            if (seen.containsKey(root)) {
                continue;
            }
            stack.push(root);
            next.push(0);
            seen.put(root, Boolean.TRUE);
            while (!stack.isEmpty()) {
                Var v = stack.peek();
                int k = next.pop();
                Var[] inputs = v.node() == null ? new Var[0] : v.node().inputs();
                while (k < inputs.length && (!inputs[k].requiresGrad() || seen.containsKey(inputs[k]))) {
                    k++;
                }
                if (k < inputs.length) {
                    next.push(k + 1);
                    Var in = inputs[k];
                    seen.put(in, Boolean.TRUE);
                    stack.push(in);
                    next.push(0);
                } else {
                    stack.pop();
                    order.add(v);
                }
            }
        }
        return order;
    }
}
