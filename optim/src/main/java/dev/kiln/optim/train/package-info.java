/**
 * Training: {@link dev.kiln.optim.train.Trainer} runs one optimizer step over micro-batches
 * (gradient accumulation, clipping, learning-rate schedule, loss scaling through
 * {@link dev.kiln.optim.train.LossScaling}); {@link dev.kiln.optim.train.TrainingLoop} runs the
 * steps over epochs or a step budget with evaluation, metric records, listeners, early stopping,
 * checkpoints, bit-exact resume and a clean stop on Ctrl-C ({@link dev.kiln.optim.train.StopOnShutdown}).
 */
package dev.kiln.optim.train;
