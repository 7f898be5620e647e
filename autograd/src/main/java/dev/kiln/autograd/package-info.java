/**
 * Reverse-mode automatic differentiation over the tensor ops. A {@link dev.kiln.autograd.Var}
 * records the ops applied to it; {@link dev.kiln.autograd.Var#backward()} walks that graph in
 * reverse topological order. Each op family ({@code ElementwiseOps}, {@code ReductionOps},
 * {@code MatmulOps}, {@code ShapeOps}) holds every op's forward and backward side by side;
 * {@link dev.kiln.autograd.Gradcheck} checks them against central differences.
 * {@link dev.kiln.autograd.AnomalyMode} (torch's detect_anomaly) names the op where a NaN or an
 * infinite gradient first appeared.
 */
package dev.kiln.autograd;
