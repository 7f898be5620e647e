package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;

/**
 * What {@link RNN} and {@link GRU} return: {@code output} holds the last layer's hidden state at
 * every time step ([T, N, D*H], or [N, T, D*H] batch-first, or [T, D*H] unbatched) and {@code hN}
 * every layer's and direction's final hidden state ([L*D, N, H], or [L*D, H] unbatched).
 */
public record RnnOutput(Var output, Var hN) {}
