package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.ThreadSetting;

/**
 * Automatic mixed precision (torch.autocast): inside a scope, ops that are fast and safe in half
 * precision (matrix products, hence linear and convolution) cast their floating inputs to the
 * scope's dtype (F16 or BF16), and ops that need range or accumulate many terms (softmax,
 * log-softmax, logsumexp, sum, exp, log, pow, rsqrt, layer norm and the losses) cast half inputs
 * up to F32. Everything else runs in its inputs' promoted dtype. Which op is in which class is
 * {@link AutocastPolicy}'s one table; ops apply it through {@link AutocastPolicy#cast}.
 *
 * <pre>{@code
 * try (Autocast _ = Autocast.enter(DType.BF16)) {
 *     Var loss = Losses.crossEntropy(model.forward(x), y);       // matmuls in BF16, loss in F32
 * }
 * loss.backward();                                              // F32 parameters get F32 gradients
 * }</pre>
 *
 * <p>Parameters stay F32 (the master weights): the casts are differentiable ops, so gradients flow
 * back through them to F32 and optimizer state stays F32. Activations saved for backward are in
 * half precision, which is where the memory goes. With F16, scale the loss
 * ({@code DynamicLossScaler} in optim) so small gradients do not flush to zero.
 *
 * <p>Per thread; scopes nest (the innermost wins); {@link #disabled()} turns it off inside a scope.
 */
public final class Autocast implements AutoCloseable {
    private static final ThreadSetting<DType> CURRENT = new ThreadSetting<>("Autocast", null);

    private final ThreadSetting<DType>.Scope scope;

    private Autocast(DType dtype) {
        scope = CURRENT.enter(dtype);
    }

    /** Enters an autocast scope with {@code dtype} (F16 or BF16) as the low precision. */
    public static Autocast enter(DType dtype) {
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("Autocast: the low-precision dtype must be F16 or BF16, got " + dtype);
        }
        return new Autocast(dtype);
    }

    /** A scope in which autocast is off (for a part of the model that must stay F32). */
    public static Autocast disabled() {
        return new Autocast(null);
    }

    /** The active low-precision dtype on this thread, or null when autocast is off. */
    public static DType lowPrecision() {
        return CURRENT.get();
    }

    @Override
    public void close() {
        scope.close();
    }
}
