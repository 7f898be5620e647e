/** Loss functions (torch's {@code F.cross_entropy}, {@code F.mse_loss}, ...) with torch's options and reductions. */
package dev.kiln.nn.loss;
