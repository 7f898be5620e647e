/**
 * Random numbers for tensor creation and dropout-style ops: {@link dev.kiln.tensor.random.Generator},
 * a seeded, splittable, counter-based (Philox4x32-10) generator whose output depends only on the
 * seed and the position in the stream, so fills are identical on every run and at any thread count,
 * and checkpoints can save and resume it bit-exactly.
 */
package dev.kiln.tensor.random;
