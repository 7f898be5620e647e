/**
 * The CUDA backend (roadmap step 11). It will implement {@code dev.kiln.tensor.backend.Backend}
 * for {@code Device.cuda(i)}, so no tensor op changes its API when it lands. Empty for now.
 */
package dev.kiln.cuda;
