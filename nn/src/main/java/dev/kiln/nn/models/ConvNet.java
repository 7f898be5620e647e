package dev.kiln.nn.models;

import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Pool2d;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.random.Generator;

/**
 * The reference image classifier of {@code kiln train cnn} (and what {@code kiln serve} rebuilds
 * from its run directory): conv 1→32 (3×3) → ReLU → max pool 2 → conv 32→64 (3×3) → ReLU → max
 * pool 2 → flatten → linear → 128 → ReLU → linear 128→10. Input {@code [B, 1, h, w]}, logits
 * {@code [B, 10]}. State-dict names are the {@link Sequential}'s ({@code 0.weight}, {@code 3.weight}, ...).
 */
public final class ConvNet {
    /** Output classes. */
    public static final int CLASSES = 10;

    private ConvNet() {}

    /**
     * A freshly initialised ConvNet for {@code height x width} single-channel images.
     *
     * @throws IllegalArgumentException when an image side is under 10 (two conv+pool stages need it)
     */
    public static Sequential build(int height, int width, Generator g) {
        if (height < 10 || width < 10) {
            throw new IllegalArgumentException("ConvNet: images must be at least 10x10 for two conv+pool stages, got "
                    + height + "x" + width);
        }
        return new Sequential(
                Conv2d.builder(1, 32, 3).generator(g).build(), Activation.relu(), Pool2d.max(2),
                Conv2d.builder(32, 64, 3).generator(g).build(), Activation.relu(), Pool2d.max(2),
                new Flatten(), new Linear(flattened(height, width), 128, true, g), Activation.relu(),
                new Linear(128, CLASSES, true, g));
    }

    /** Features entering the first linear layer: 64 channels of the twice convolved and pooled image. */
    public static int flattened(int height, int width) {
        return 64 * (((height - 2) / 2 - 2) / 2) * (((width - 2) / 2 - 2) / 2);
    }
}
