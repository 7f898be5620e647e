package dev.kiln.serve.model;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A {@code kiln train cnn} model served over FP32 images: input {@code images} of shape
 * {@code [N, 1, H, W]}, pixel intensities in [0, 1] (as the app scales its 0..255 bytes); the
 * server normalises them with the training set's mean and std, as the app did.
 */
public final class ImageClassifierModel extends ClassifierModel {
    /** Fashion-MNIST's class names, by label. */
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private final Sequential model;
    private final int height;
    private final int width;
    private final double mean;
    private final double std;
    private final int classes;
    private final TensorSpec input;

    /**
     * Serves {@code model} (already loaded and in eval mode) for {@code height x width} images
     * normalised as {@code (x - mean) / std}, with {@code classes} outputs.
     */
    public ImageClassifierModel(Sequential model, int height, int width, double mean, double std, int classes) {
        if (!(std > 0)) {
            throw new IllegalArgumentException("ImageClassifierModel: std must be > 0, got " + std);
        }
        this.model = model;
        this.height = height;
        this.width = width;
        this.mean = mean;
        this.std = std;
        this.classes = classes;
        this.input = new TensorSpec("images", "FP32", new long[] {-1, 1, height, width});
    }

    @Override
    public String app() {
        return "cnn";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(input);
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public List<String> classNames() {
        return classes == FASHION_CLASSES.size() ? FASHION_CLASSES
                : IntStream.range(0, classes).mapToObj(Integer::toString).toList();
    }

    @Override
    public Examples prepare(List<InferTensor> inputs) {
        InferTensor t = InputChecks.single(inputs, input);
        int n = InputChecks.batchSize(t, input.shape());
        double[] x = t.numbers();
        float[] rows = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            rows[i] = (float) ((x[i] - mean) / std);
        }
        return new Examples(n, height * width, rows, null);
    }

    @Override
    public float[] logits(List<Examples> batch) {
        int n = batch.stream().mapToInt(Examples::rows).sum();
        float[] images = new float[n * height * width];
        int at = 0;
        for (Examples e : batch) {
            System.arraycopy(e.f32(), 0, images, at, e.f32().length);
            at += e.f32().length;
        }
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            Tensor x = Tensor.fromArray(images, n, 1, height, width);
            return model.forward(Var.constant(x)).value().toFloatArray();
        }
    }
}
