package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Functional entry points to the backward pass and its debugging mode (torch's {@code torch.autograd} module).
 */
public final class Autograd {
    private Autograd() {}

    /**
     * torch.autograd.detect_anomaly: turns {@link AnomalyMode} on for this thread until the returned
     * scope is closed. Ops record where they were created; a NaN in a forward output, or a NaN or
     * infinity in a gradient, throws an {@link AnomalyException} naming the op. For debugging: slow.
     */
    public static AnomalyMode detectAnomaly() {
        return AnomalyMode.enter(true);
    }

    /** {@link #detectAnomaly()}; with {@code checkNan} false, only creation traces are recorded (no checks). */
    public static AnomalyMode detectAnomaly(boolean checkNan) {
        return AnomalyMode.enter(checkNan);
    }

    /**
     * torch.autograd.set_detect_anomaly: turns {@link AnomalyMode} (with NaN checks) on or off for
     * this thread without a scope. An enclosing scope still restores its own state when it closes.
     */
    public static void setDetectAnomaly(boolean enabled) {
        AnomalyMode.set(enabled, true);
    }

    /** True when anomaly mode is on for this thread (torch.is_anomaly_enabled). */
    public static boolean isAnomalyEnabled() {
        return AnomalyMode.current() != null;
    }

    /**
     * The gradient of the single-element {@code output} with respect to each of {@code inputs}
     * (leaves or op results), returned instead of accumulated: no {@link Var#grad()} changes. Frees
     * the graph. An input the output does not depend on gets an error; see
     * {@link #grad(List, List, List, boolean, boolean)} to allow that.
     */
    public static List<Tensor> grad(Var output, List<Var> inputs) {
        if (output.value().numel() != 1) {
            throw new IllegalArgumentException("grad: implicit gradient only for single-element outputs, got shape "
                    + output.shape() + "; pass gradOutputs");
        }
        Tensor ones = output.value().newFull(1, output.value().dtype(), output.shape().toArray());
        return grad(List.of(output), List.of(ones), inputs,
                false, false);
    }

    /**
     * torch.autograd.grad: the sum over {@code outputs} of vector-Jacobian products with
     * {@code gradOutputs} (one per output, same shape), with respect to each of {@code inputs}.
     * Only the part of the graph between the outputs and the inputs runs. The graph is freed
     * unless {@code retainGraph}. When {@code allowUnused}, an input the outputs do not depend on
     * gets null; otherwise that is an error. Higher-order gradients (create_graph) are not supported.
     */
    public static List<Tensor> grad(List<Var> outputs, List<Tensor> gradOutputs, List<Var> inputs,
                                    boolean retainGraph, boolean allowUnused) {
        if (outputs.size() != gradOutputs.size()) {
            throw new IllegalArgumentException("grad: got " + outputs.size() + " outputs but " + gradOutputs.size()
                    + " gradOutputs");
        }
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("grad: no outputs given");
        }
        for (int i = 0; i < outputs.size(); i++) {
            Var o = outputs.get(i);
            if (!o.requiresGrad()) {
                throw new IllegalStateException("grad: output " + i + " does not require a gradient");
            }
            if (!gradOutputs.get(i).shape().equals(o.shape())) {
                throw new IllegalArgumentException("grad: gradOutputs[" + i + "] has shape " + gradOutputs.get(i).shape()
                        + " but output " + i + " has shape " + o.shape());
            }
        }
        Map<Var, Tensor> capture = new IdentityHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            Var in = inputs.get(i);
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("grad: inputs[" + i + "] (" + in + ") does not require a gradient");
            }
            capture.put(in, null);
        }
        BackwardEngine.run(outputs, gradOutputs, retainGraph, capture);
        List<Tensor> result = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            Tensor g = capture.get(inputs.get(i));
            if (g == null && !allowUnused) {
                throw new IllegalStateException("grad: inputs[" + i + "] (" + inputs.get(i) + ") was not used to compute "
                        + "the outputs; pass allowUnused = true to get null for it");
            }
            result.add(g == null ? null : g.contiguous());
        }
        return result;
    }
}
