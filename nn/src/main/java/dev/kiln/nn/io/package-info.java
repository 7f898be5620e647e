/**
 * Checkpoint files: {@link dev.kiln.nn.io.Safetensors} reads and writes the safetensors format
 * byte-compatibly with the Hugging Face reference library.
 */
package dev.kiln.nn.io;
