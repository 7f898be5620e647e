package dev.kiln.apps.train;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a small Fashion-MNIST look-alike in the real layout ({@code train-images-idx3-ubyte},
 * ...): 28x28 unsigned-byte images whose class {@code k} is a bright horizontal bar on rows
 * {@code 2 + 2k} and {@code 3 + 2k}, over uniform noise, so a ConvNet separates them in a few
 * steps. Labels cycle through 0..9. The demo's fallback when the real data cannot be fetched,
 * and the data of the app's integration tests.
 */
public final class SyntheticIdx {
    private SyntheticIdx() {}

    /** Writes {@code train} training and {@code test} test examples into {@code dir}. */
    public static void write(Path dir, int train, int test, long seed) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(seed);
        writeSplit(dir, "train", train, r);
        writeSplit(dir, "t10k", test, r);
    }

    private static void writeSplit(Path dir, String split, int n, Random r) throws IOException {
        byte[] pixels = new byte[n * 28 * 28];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int k = i % 10;
            labels[i] = (byte) k;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    boolean bar = (y == 2 + 2 * k || y == 3 + 2 * k) && x >= 4 && x < 24;
                    pixels[(i * 28 + y) * 28 + x] = (byte) (bar ? 200 + r.nextInt(56) : r.nextInt(60));
                }
            }
        }
        writeIdx(dir.resolve(split + "-images-idx3-ubyte"), pixels, n, 28, 28);
        writeIdx(dir.resolve(split + "-labels-idx1-ubyte"), labels, n);
    }

    /** IDX: 00 00, type 0x08 (unsigned byte), rank, big-endian sizes, data. */
    static void writeIdx(Path file, byte[] data, int... dims) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); DataOutputStream out = new DataOutputStream(os)) {
            out.writeByte(0);
            out.writeByte(0);
            out.writeByte(0x08);
            out.writeByte(dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
    }
}
