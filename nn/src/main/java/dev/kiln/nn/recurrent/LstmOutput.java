package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;

/**
 * What {@link LSTM} returns: the output sequence and final hidden states as in {@link RnnOutput},
 * plus {@code cN}, the final cell states (same shape as {@code hN}).
 */
public record LstmOutput(Var output, Var hN, Var cN) {}
