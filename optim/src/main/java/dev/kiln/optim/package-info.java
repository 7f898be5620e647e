/** Optimizers, learning-rate schedules, mixed precision and checkpoints (roadmap step 4; empty for now). */
package dev.kiln.optim;
