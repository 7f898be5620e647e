package dev.kiln.bench.jmh;

import dev.kiln.tensor.Device;
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
 * JMH benchmark of {@link PackedGemm#sgemm} for square n×n×n products. GFLOPS = 2n³ / (µs/op) / 1000.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/kiln-bench.jar:bench/target/lib/* \
 *     org.openjdk.jmh.Main GemmBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class GemmBenchmark {
    @Param({"256", "512", "1024"})
    int n;

    @Param({"1", "2"})
    int threads;

    float[] a;
    float[] b;
    float[] c;
    private int savedThreads;

    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Device.CPU.threads();
        Device.CPU.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(n);
        a = new float[n * n];
        b = new float[n * n];
        c = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Device.CPU.setThreads(savedThreads);
    }

    @Benchmark
    public float[] sgemm() {
        PackedGemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        return c;
    }
}
