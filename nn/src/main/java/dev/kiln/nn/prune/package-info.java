/**
 * Magnitude pruning (torch's {@code torch.nn.utils.prune}): masks that zero the smallest weights
 * of Linear and Conv layers, globally or per layer, or whole output channels by their L1/L2 norm,
 * kept applied while a pruned model is fine-tuned.
 */
package dev.kiln.nn.prune;
