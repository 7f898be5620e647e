package dev.kiln.bench.jmh;

import dev.kiln.tensor.Attention;
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
 * Fused (FlashAttention-style) causal attention against the same attention from separate tensor
 * ops (Q K^T matmul, mask, softmax, matmul V; the backward as its five textbook products), at
 * B = 1, H = 4, D = 64. The naive path materialises the [H, T, T] scores and probabilities.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "bench/target/kiln-bench.jar:bench/target/lib/*" \
 *     org.openjdk.jmh.Main AttentionBenchmark -f 1 -wi 1 -i 2 -w 1 -r 2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx6g"})
public class AttentionBenchmark {
    private static final int HEADS = 4;
    private static final int DIM = 64;

    @Param({"512", "1024", "2048"})
    int t;

    Tensor q;
    Tensor k;
    Tensor v;
    Tensor dO;
    /** [T, T], true above the diagonal. */
    Tensor causalMask;
    double scale;

    @Setup(Level.Trial)
    public void setUp() {
        Generator g = new Generator(7);
        q = Tensor.randn(g, 1, HEADS, t, DIM);
        k = Tensor.randn(g, 1, HEADS, t, DIM);
        v = Tensor.randn(g, 1, HEADS, t, DIM);
        dO = Tensor.randn(g, 1, HEADS, t, DIM);
        try (Tensor ones = Tensor.ones(t, t); Tensor upper = ones.triu(1)) {
            causalMask = upper.gt(0.5);
        }
        scale = 1 / Math.sqrt(DIM);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        q.close();
        k.close();
        v.close();
        dO.close();
        causalMask.close();
    }

    @Benchmark
    public float fusedForward() {
        try (TensorScope _ = TensorScope.open()) {
            return Attention.forward(q, k, v, true, null, scale).output().numel();
        }
    }

    @Benchmark
    public float naiveForward() {
        try (TensorScope _ = TensorScope.open()) {
            return naiveProbabilities().matmul(v).numel();
        }
    }

    @Benchmark
    public float fusedForwardBackward() {
        try (TensorScope _ = TensorScope.open()) {
            Attention.Output out = Attention.forward(q, k, v, true, null, scale);
            return Attention.backward(dO, q, k, v, out.output(), out.logSumExp(), true, null, scale).key().numel();
        }
    }

    @Benchmark
    public float naiveForwardBackward() {
        try (TensorScope _ = TensorScope.open()) {
            Tensor p = naiveProbabilities();
            Tensor out = p.matmul(v);
            Tensor dv = p.transpose(2, 3).matmul(dO);
            Tensor dp = dO.matmul(v.transpose(2, 3));
            Tensor rowTerm = p.mul(dp).sum(new int[] {3}, true);
            Tensor ds = p.mul(dp.sub(rowTerm)).mul(scale);
            Tensor dq = ds.matmul(k);
            Tensor dk = ds.transpose(2, 3).matmul(q);
            return out.numel() + dv.numel() + dq.numel() + dk.numel();
        }
    }

    private Tensor naiveProbabilities() {
        return q.matmul(k.transpose(2, 3)).mul(scale).maskedFill(causalMask, Double.NEGATIVE_INFINITY).softmax(-1);
    }
}
