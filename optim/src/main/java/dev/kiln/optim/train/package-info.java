/**
 * A small training loop: {@link dev.kiln.optim.train.Trainer} runs optimizer steps over
 * micro-batches (gradient accumulation), with optional clipping, learning-rate schedule and loss
 * scaling ({@link dev.kiln.optim.train.LossScaling}).
 */
package dev.kiln.optim.train;
