package dev.kiln.apps.train;

import dev.kiln.data.Collate;
import dev.kiln.data.Dataset;
import dev.kiln.data.LabeledImages;
import dev.kiln.data.io.IdxArray;
import dev.kiln.data.io.IdxReader;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST as {@code kiln data fetch fashion-mnist} leaves it in {@code <root>/fashion-mnist/}:
 * {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]} and the same with
 * {@code t10k} for the test split. Also reads any data set in that layout (the tests write small
 * synthetic ones).
 *
 * @param train the training images, optionally only the first {@code --limit-train}
 * @param test the test images, optionally only the first {@code --limit-test}
 * @param mean mean pixel value of {@code train} in [0, 1]
 * @param std standard deviation of those pixels
 * @param height image height
 * @param width image width
 */
public record FashionMnist(Dataset<Tensor[]> train, Dataset<Tensor[]> test, double mean, double std,
        int height, int width) {

    /** The data set directory is missing a file; the message says which and how to fetch it. */
    public static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message) {
            super(message);
        }
    }

    /**
     * Reads the data set in {@code dir}, keeping the first {@code limitTrain} and {@code limitTest}
     * examples (0: all).
     *
     * @throws MissingException if a file is missing
     * @throws IOException if a file cannot be read or is malformed
     */
    public static FashionMnist read(Path dir, int limitTrain, int limitTest) throws IOException {
        IdxArray trainImages = IdxReader.read(find(dir, "train-images-idx3-ubyte"));
        IdxArray trainLabels = IdxReader.read(find(dir, "train-labels-idx1-ubyte"));
        IdxArray testImages = IdxReader.read(find(dir, "t10k-images-idx3-ubyte"));
        IdxArray testLabels = IdxReader.read(find(dir, "t10k-labels-idx1-ubyte"));
        LabeledImages train = labeled(trainImages, trainLabels, dir, "train");
        LabeledImages test = labeled(testImages, testLabels, dir, "t10k");
        if (train.size() == 0) {
            throw new IOException(dir + ": the training set is empty");
        }
        int nTrain = limitTrain > 0 ? Math.min(limitTrain, train.size()) : train.size();
        int nTest = limitTest > 0 ? Math.min(limitTest, test.size()) : test.size();
        double[] meanStd = pixelMeanStd(trainImages, nTrain);
        return new FashionMnist(Dataset.subset(train, 0, nTrain), Dataset.subset(test, 0, nTest),
                meanStd[0], meanStd[1], trainImages.dim(1), trainImages.dim(2));
    }

    /**
     * Stacks a batch into {@code {images [B, 1, H, W] F32 normalised with the training mean and
     * std, labels [B] I64}}.
     */
    public Collate<Tensor[]> collate() {
        Collate<Tensor[]> stack = Collate.stack();
        float shift = (float) mean;
        float scale = (float) (1 / std);
        return examples -> {
            List<Tensor> s = stack.collate(examples);
            Tensor images = s.get(0).reshape(examples.size(), 1, height, width).sub(shift).mul(scale);
            return List.of(images, s.get(1));
        };
    }

    private static LabeledImages labeled(IdxArray images, IdxArray labels, Path dir, String split) throws IOException {
        try {
            return new LabeledImages(images, labels);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + " (" + split + "): " + e.getMessage(), e);
        }
    }

    /** {@code dir/base} or {@code dir/base.gz}, whichever exists. */
    private static Path find(Path dir, String base) throws MissingException {
        for (Path p : List.of(dir.resolve(base + ".gz"), dir.resolve(base))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new MissingException(Files.isDirectory(dir)
                ? dir + " has no " + base + "[.gz]"
                : "no data set at " + dir);
    }

    /**
     * Mean and population standard deviation of the pixels (in [0, 1]) of the first {@code n}
     * images, exactly, through a histogram of the 256 byte values; std 1 when the pixels are constant.
     */
    static double[] pixelMeanStd(IdxArray images, int n) {
        int pixels = images.dim(1) * images.dim(2);
        long[] histogram = new long[256];
        for (int i = 0; i < n; i++) {
            for (float v : images.toFloatArray(i * pixels, pixels, 1f)) {
                histogram[(int) v]++;
            }
        }
        double count = (double) n * pixels;
        double sum = 0;
        for (int v = 0; v < 256; v++) {
            sum += histogram[v] * (v / 255.0);
        }
        double mean = sum / count;
        double sq = 0;
        for (int v = 0; v < 256; v++) {
            double d = v / 255.0 - mean;
            sq += histogram[v] * d * d;
        }
        double std = Math.sqrt(sq / count);
        return new double[] {mean, std > 1e-6 ? std : 1}; // constant images: only centre them
    }
}
