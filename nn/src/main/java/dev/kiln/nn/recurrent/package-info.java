/**
 * Recurrent layers with PyTorch's equations, parameter names and initialisation: {@link
 * dev.kiln.nn.recurrent.RNN}, {@link dev.kiln.nn.recurrent.LSTM}, {@link dev.kiln.nn.recurrent.GRU}
 * (multi-layer, bidirectional, batch-first) and their single-step cells. The recurrences themselves
 * are functions of the weights in {@link dev.kiln.nn.recurrent.Recurrence}.
 */
package dev.kiln.nn.recurrent;
