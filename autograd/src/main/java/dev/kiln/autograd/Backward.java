package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * The backward half of one recorded op: given the gradient of the loss with respect to the op's
 * output, returns the gradient with respect to each input, in input order, each with that input's
 * shape (broadcast dims already summed away). An entry may be null when the input needs no gradient.
 */
@FunctionalInterface
interface Backward {
    Tensor[] apply(Tensor gradOutput);
}
