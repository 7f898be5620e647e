package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;

/** The hidden and cell state of an {@link LSTMCell} step, each [N, H] (or [H] unbatched). */
public record LstmState(Var h, Var c) {}
