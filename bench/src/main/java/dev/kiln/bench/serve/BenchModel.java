package dev.kiln.bench.serve;

import dev.kiln.nn.Sequential;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.serve.model.ImageClassifierModel;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The model {@code kiln bench serve} loads, the same in the server process and in the bench's own
 * process: the {@code kiln train cnn} ConvNet, either from a run directory or freshly initialised
 * (seeded) for {@code side x side} images with Fashion-MNIST's pixel mean and std; speed does not
 * depend on the weights. Also makes the request every client posts.
 *
 * @param run a {@code kiln train cnn} run directory, or null for random weights
 * @param side image side of the random-init model (ignored with a run)
 * @param seed weight seed of the random-init model
 */
record BenchModel(Path run, int side, long seed) {
    /** Fashion-MNIST's training-set pixel mean and std, as {@code kiln train cnn} measures them. */
    static final double MEAN = 0.2860;
    static final double STD = 0.3530;

    BenchModel {
        if (run == null && side < 10) {
            throw new IllegalArgumentException("--size: the ConvNet needs images of at least 10x10, got " + side);
        }
    }

    /** The served model. */
    ServedModel build() throws IOException {
        if (run != null) {
            ServedModel m = RunDirectoryModels.load(run);
            if (!"cnn".equals(m.app())) {
                throw new IllegalArgumentException("--run: " + run + " is a kiln train " + m.app() + " run; kiln bench serve"
                        + " needs a cnn run");
            }
            return m;
        }
        Sequential net = ConvNet.build(side, side, new Generator(seed));
        net.eval();
        return new ImageClassifierModel(net, side, side, MEAN, STD, ConvNet.CLASSES);
    }

    /** The arguments that rebuild this model in {@link ServerProcess#main}. */
    List<String> args() {
        return run != null ? List.of("--run", run.toString()) : List.of("--size", Integer.toString(side), "--seed", Long.toString(seed));
    }

    /** Parses what {@link #args()} wrote. */
    static BenchModel parse(List<String> args) {
        Path run = null;
        int side = 28;
        long seed = 1;
        for (int i = 0; i + 1 < args.size(); i += 2) {
            switch (args.get(i)) {
                case "--run" -> run = Path.of(args.get(i + 1));
                case "--size" -> side = Integer.parseInt(args.get(i + 1));
                case "--seed" -> seed = Long.parseLong(args.get(i + 1));
                default -> { }
            }
        }
        return new BenchModel(run, side, seed);
    }

    /**
     * A request's images: {@code images} of shape {@code [count, 1, H, W]} with Fashion-MNIST-like
     * pixels (about half of them 0, the rest a byte value / 255, as a client scaling bytes sends them).
     */
    static InferTensor images(ServedModel model, int count, long seed) {
        long[] spec = spec(model).shape();
        int pixels = Math.toIntExact(spec[2] * spec[3]);
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] data = new double[count * pixels];
        for (int i = 0; i < data.length; i++) {
            data[i] = rnd.nextBoolean() ? 0 : rnd.nextInt(1, 256) / 255.0;
        }
        return new InferTensor(0, "images", "FP32", new long[] {count, 1, spec[2], spec[3]}, data, null);
    }

    /** The KServe v2 infer body carrying {@code images}; numbers as Java's shortest decimal doubles (as Python's json writes them). */
    static byte[] requestBody(InferTensor images) {
        long[] shape = images.shape();
        StringBuilder s = new StringBuilder(images.size() * 12 + 128);
        s.append("{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[")
                .append(shape[0]).append(',').append(shape[1]).append(',').append(shape[2]).append(',').append(shape[3])
                .append("],\"data\":[");
        double[] data = images.numbers();
        for (int i = 0; i < data.length; i++) {
            s.append(i == 0 ? "" : ",").append(data[i]);
        }
        return s.append("]}]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The same request with the binary tensor data extension: a JSON part naming the tensor and its
     * byte count, then the pixels as little-endian FP32, and every output asked back as binary data
     * (what a client that sends binary wants: no decimal numbers either way).
     */
    static InferBody binaryRequestBody(InferTensor images) {
        long[] shape = images.shape();
        double[] data = images.numbers();
        String json = "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[" + shape[0] + "," + shape[1] + ","
                + shape[2] + "," + shape[3] + "],\"parameters\":{\"binary_data_size\":" + 4L * data.length + "}}],"
                + "\"parameters\":{\"binary_data_output\":true}}";
        ByteBuffer pixels = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : data) {
            pixels.putFloat((float) x);
        }
        return InferBody.binary(json.getBytes(StandardCharsets.UTF_8), pixels.array());
    }

    /** The image side of {@code model}'s input, as {@code HxW}. */
    static String imageSize(ServedModel model) {
        long[] shape = spec(model).shape();
        return shape[2] + "x" + shape[3];
    }

    private static TensorSpec spec(ServedModel model) {
        List<TensorSpec> inputs = new ArrayList<>(model.inputs());
        if (inputs.size() != 1 || inputs.getFirst().shape().length != 4) {
            throw new IllegalArgumentException("kiln bench serve: expected one [N, 1, H, W] input, got " + inputs);
        }
        return inputs.getFirst();
    }
}
