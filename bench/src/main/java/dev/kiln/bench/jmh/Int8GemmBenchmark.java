package dev.kiln.bench.jmh;

import dev.kiln.tensor.Device;
import dev.kiln.tensor.kernels.cpu.Int8Gemm;
import dev.kiln.tensor.kernels.cpu.PackedGemm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The int8 GEMM ({@link Int8Gemm#gemm}, weights [n, k] as a quantized Linear holds them, dequantized
 * to F32) next to the F32 GEMM on the same m×n×k: square n³ products (compute-bound) and m = 1
 * (batch-1 decode, weight-bandwidth-bound). GOPS = 2·m·n·k / (µs/op) / 1000 for both.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/kiln-bench.jar:bench/target/lib/* \
 *     org.openjdk.jmh.Main Int8GemmBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class Int8GemmBenchmark {
    /** "m,n,k": square products and the batch-1 shapes of a 768-wide transformer's projections. */
    @Param({"256,256,256", "512,512,512", "1,3072,768", "1,768,3072"})
    String shape;

    @Param({"1", "2"})
    int threads;

    int m;
    int n;
    int k;
    byte[] a8;
    byte[] w8;
    float[] aScale;
    float[] wScale;
    float[] a;
    float[] w;
    float[] c;
    private int savedThreads;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split(",");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        savedThreads = Device.CPU.threads();
        Device.CPU.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(m + n + k);
        a8 = new byte[m * k];
        w8 = new byte[n * k];
        a = new float[m * k];
        w = new float[n * k];
        for (int i = 0; i < a8.length; i++) {
            a8[i] = (byte) rnd.nextInt(-127, 128);
            a[i] = a8[i];
        }
        for (int i = 0; i < w8.length; i++) {
            w8[i] = (byte) rnd.nextInt(-127, 128);
            w[i] = w8[i];
        }
        aScale = new float[m];
        wScale = new float[n];
        java.util.Arrays.fill(aScale, 0.01f);
        java.util.Arrays.fill(wScale, 0.01f);
        c = new float[m * n];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Device.CPU.setThreads(savedThreads);
    }

    @Benchmark
    public float[] int8() {
        Int8Gemm.gemm(m, n, k, a8, 0, k, aScale, 0, true, w8, 0, k, wScale, null, c, 0, n);
        return c;
    }

    @Benchmark
    public float[] f32() {
        PackedGemm.sgemm(false, true, m, n, k, 1f, a, 0, k, w, 0, k, 0f, c, 0, n);
        return c;
    }
}
