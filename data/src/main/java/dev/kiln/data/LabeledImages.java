package dev.kiln.data;

import dev.kiln.data.io.IdxArray;
import dev.kiln.data.io.IdxReader;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Images with class labels, as MNIST and Fashion-MNIST ship them: an IDX array of images
 * {@code [N, H, W]} and one of labels {@code [N]}. Example {@code i} is {@code {image, label}}: the
 * image as an F32 tensor {@code [H, W]} scaled to {@code [0, 1]} (pixel / 255), the label as an
 * I64 scalar. Collate with {@link Collate#stack()} to get {@code [B, H, W]} and {@code [B]}.
 */
public final class LabeledImages implements Dataset<Tensor[]> {
    private final IdxArray images;
    private final IdxArray labels;
    private final int height;
    private final int width;

    /**
     * @throws IllegalArgumentException if the images are not unsigned bytes {@code [N, H, W]}, the
     *     labels not integers {@code [N]} with the same {@code N}
     */
    public LabeledImages(IdxArray images, IdxArray labels) {
        this.images = Objects.requireNonNull(images, "LabeledImages: images");
        this.labels = Objects.requireNonNull(labels, "LabeledImages: labels");
        if (images.rank() != 3 || images.type() != IdxArray.Type.UBYTE) {
            throw new IllegalArgumentException("LabeledImages: images must be UBYTE [N, H, W], got " + images);
        }
        if (labels.rank() != 1 || labels.type() == IdxArray.Type.FLOAT || labels.type() == IdxArray.Type.DOUBLE) {
            throw new IllegalArgumentException("LabeledImages: labels must be integers [N], got " + labels);
        }
        if (labels.dim(0) != images.dim(0)) {
            throw new IllegalArgumentException("LabeledImages: " + images.dim(0) + " images but " + labels.dim(0)
                    + " labels (" + Arrays.toString(images.dims()) + " vs " + Arrays.toString(labels.dims()) + ")");
        }
        this.height = images.dim(1);
        this.width = images.dim(2);
    }

    /** Reads an images file and a labels file (IDX, gzipped or plain). */
    public static LabeledImages read(Path imagesFile, Path labelsFile) throws IOException {
        IdxArray images = IdxReader.read(imagesFile);
        IdxArray labels = IdxReader.read(labelsFile);
        try {
            return new LabeledImages(images, labels);
        } catch (IllegalArgumentException e) {
            throw new IOException(imagesFile + " and " + labelsFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int size() {
        return images.dim(0);
    }

    @Override
    public Tensor[] get(int index) {
        Objects.checkIndex(index, size());
        int pixels = height * width;
        float[] px = images.toFloatArray(index * pixels, pixels, 255f);
        return new Tensor[] {
            Tensor.fromArray(px, height, width),
            Tensor.fromArray(new long[] {labels.getLong(index)})
        };
    }

    /** The label of example {@code index}, without building tensors. */
    public long label(int index) {
        return labels.getLong(index);
    }
}
