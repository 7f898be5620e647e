package dev.kiln.nn.attention;

import dev.kiln.autograd.Var;

/**
 * What {@link MultiheadAttention#forward(Var, Var, Var, AttentionArgs)} returns, torch's
 * {@code (attn_output, attn_output_weights)} pair.
 *
 * @param output [L, N, E] ([N, L, E] with batch_first, [L, E] unbatched)
 * @param weights the attention probabilities (after dropout, as torch returns them): [N, L, S]
 *     averaged over heads or [N, num_heads, L, S] per head ([L, S] / [num_heads, L, S] unbatched);
 *     null unless {@link AttentionArgs#needWeights()}
 */
public record AttentionOutput(Var output, Var weights) {}
