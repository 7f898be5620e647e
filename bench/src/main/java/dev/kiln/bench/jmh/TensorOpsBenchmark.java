package dev.kiln.bench.jmh;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
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
 * JMH benchmark of the elementwise, reduction and softmax kernels through the public Tensor API,
 * including allocation from the buffer pool (each op runs in a scope that returns its output).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/kiln-bench.jar:bench/target/lib/* \
 *     org.openjdk.jmh.Main TensorOpsBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class TensorOpsBenchmark {
    /** Rows of a [rows, 1024] F32 matrix. */
    @Param({"64", "1024"})
    int rows;

    Tensor x;
    Tensor y;
    Tensor bias;

    @Setup(Level.Trial)
    public void setUp() {
        Generator g = new Generator(7);
        x = Tensor.randn(g, rows, 1024);
        y = Tensor.randn(g, rows, 1024);
        bias = Tensor.randn(g, 1024);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        y.close();
        bias.close();
    }

    @Benchmark
    public float add() {
        try (TensorScope _ = TensorScope.open()) {
            return (float) x.add(y).numel();
        }
    }

    @Benchmark
    public float addBroadcastBias() {
        try (TensorScope _ = TensorScope.open()) {
            return (float) x.add(bias).numel();
        }
    }

    @Benchmark
    public float gelu() {
        try (TensorScope _ = TensorScope.open()) {
            return (float) x.geluTanh().numel();
        }
    }

    @Benchmark
    public double sumLastDim() {
        try (TensorScope _ = TensorScope.open()) {
            return x.sum(new int[] {1}, false).numel();
        }
    }

    @Benchmark
    public double softmaxLastDim() {
        try (TensorScope _ = TensorScope.open()) {
            return x.softmax(-1).numel();
        }
    }
}
