/** Neural-network modules: layers, losses, initializers, safetensors (next roadmap steps; empty for now). */
package dev.kiln.nn;
