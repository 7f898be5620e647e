/**
 * Optimizers (torch.optim shaped: builders with torch's defaults, parameter groups that override
 * any hyper-parameter), learning-rate schedules ({@link dev.kiln.optim.LrSchedule},
 * {@link dev.kiln.optim.OneCycle}, {@link dev.kiln.optim.ReduceLrOnPlateau}) and gradient clipping.
 * Mixed precision, checkpoints and the training loop live in the sub-packages.
 */
package dev.kiln.optim;
