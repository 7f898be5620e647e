/** Reverse-mode automatic differentiation over the tensor ops (next roadmap step; empty for now). */
package dev.kiln.autograd;
