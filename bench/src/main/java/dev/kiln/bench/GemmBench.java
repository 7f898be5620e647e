package dev.kiln.bench;

import dev.kiln.tensor.Device;
import dev.kiln.tensor.kernels.cpu.PackedGemm;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench gemm}: square float32 GEMM, Kiln's {@link PackedGemm} against numpy (OpenBLAS).
 *
 * <p>For every thread count, numpy runs in one long-lived {@code python3 bench/python/gemm_numpy.py
 * --serve} process with {@code OPENBLAS_NUM_THREADS} set; for every size the two engines are timed
 * alternately for {@code --rounds} rounds, so a noisy neighbour hurts both alike. Kiln first gets a
 * JIT warm-up ({@code --warmup} seconds over all sizes, once). Each timing is a warm-up that also
 * calibrates a batch of back-to-back calls lasting at least {@code --min-time}, then
 * {@code --samples} batches; the fastest batch counts, and the best round is reported. Best-of
 * rather than median because on a shared machine interference only ever makes a run slower.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "sgemm GFLOPS of Kiln vs numpy/OpenBLAS for square matrices (best-of timings, interleaved).")
public final class GemmBench implements Callable<Integer> {
    @Option(names = "--sizes", split = ",", description = "Square sizes n (default: ${DEFAULT-VALUE}).")
    int[] sizes = {256, 512, 1024};

    @Option(names = "--threads", split = ",", description = "Thread counts (default: ${DEFAULT-VALUE}).")
    int[] threads = {1, 2};

    @Option(names = "--rounds", description = "Alternating Kiln/numpy rounds per size (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--samples", description = "Timed batches per round (default: ${DEFAULT-VALUE}).")
    int samples = 5;

    @Option(names = "--min-time", description = "Seconds per timed batch (default: ${DEFAULT-VALUE}).")
    double minTime = 0.05;

    @Option(names = "--warmup", description = "Seconds of JIT warm-up before the first timing (default: ${DEFAULT-VALUE}).")
    double warmup = 1.0;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Option(names = "--python", description = "Python interpreter for the reference (default: ${DEFAULT-VALUE}).")
    String python = "python3";

    private static final java.util.regex.Pattern GFLOPS = ReferenceProcess.field("gflops");

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    @Override
    public Integer call() throws Exception {
        Path script = ReferenceProcess.findScript("gemm_numpy.py");
        if (!json) {
            out.printf("sgemm float32, row-major C = A·B, n×n; GFLOPS = 2n³/time; best of %d rounds × %d batches,"
                    + " Kiln and numpy interleaved%n", rounds, samples);
            out.printf("%7s %6s %12s %13s %11s%n", "threads", "n", "kiln GFLOPS", "numpy GFLOPS", "kiln/numpy");
        }
        warmUpJit();
        int savedThreads = Device.CPU.threads();
        List<String> notes = new ArrayList<>();
        try {
            for (int t : threads) {
                Device.CPU.setThreads(t);
                int actual = Device.CPU.threads();
                if (actual != t) {
                    notes.add("asked for " + t + " threads, the machine has " + Runtime.getRuntime().availableProcessors() + " cores: ran " + actual);
                }
                try (ReferenceProcess ref = ReferenceProcess.start("numpy", "numpy", python, script,
                        List.of("--samples", Integer.toString(samples), "--min-time", Double.toString(minTime)),
                        // Site-wide OpenBLAS overrides would make the reference something other than stock numpy.
                        Map.of("OPENBLAS_NUM_THREADS", Integer.toString(actual), "OMP_NUM_THREADS", Integer.toString(actual)),
                        List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"))) {
                    if (ref.unavailable != null && !notes.contains(ref.unavailable)) {
                        notes.add(ref.unavailable);
                    }
                    for (int n : sizes) {
                        double kiln = 0;
                        Double numpy = null;
                        for (int r = 0; r < rounds; r++) {
                            kiln = Math.max(kiln, kilnGflops(n));
                            double[] answer = ref.ask(Integer.toString(n), GFLOPS);
                            Double g = answer == null ? null : answer[0];
                            if (g != null) {
                                numpy = numpy == null ? g : Math.max(numpy, g);
                            }
                        }
                        if (ref.unavailable != null && !notes.contains(ref.unavailable)) {
                            notes.add(ref.unavailable);
                        }
                        report(actual, n, kiln, numpy);
                    }
                }
            }
        } finally {
            Device.CPU.setThreads(savedThreads);
        }
        for (String note : notes) {
            (json ? System.err : System.out).println("note: " + note);
        }
        return 0;
    }

    private void report(int t, int n, double kiln, Double numpy) {
        String ratio = numpy == null ? "null" : String.format(Locale.ROOT, "%.3f", kiln / numpy);
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"sgemm\",\"threads\":%d,\"n\":%d,\"kiln\":%.2f,\"reference\":%s,\"ratio\":%s}%n",
                    t, n, kiln, numpy == null ? "null" : String.format(Locale.ROOT, "%.2f", numpy), ratio);
        } else {
            out.printf(Locale.ROOT, "%7d %6d %12.1f %13s %11s%n", t, n, kiln,
                    numpy == null ? "n/a" : String.format(Locale.ROOT, "%.1f", numpy),
                    numpy == null ? "n/a" : String.format(Locale.ROOT, "%.2f", kiln / numpy));
        }
    }

    /** Runs every size until C2 has compiled the micro-kernel and the packing loops for good. */
    private void warmUpJit() {
        long deadline = System.nanoTime() + (long) (warmup * 1e9);
        do {
            for (int n : sizes) {
                float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
                PackedGemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            }
        } while (System.nanoTime() < deadline);
    }

    /** Best-of-{@code samples} GFLOPS of one n×n×n sgemm, after a calibrating warm-up. */
    private double kilnGflops(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        int reps = 1;
        while (true) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                PackedGemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            }
            if (System.nanoTime() - t0 >= minTime * 1e9) {
                break;
            }
            reps *= 2;
        }
        checkOneElement(n, a, b, c);
        long best = Long.MAX_VALUE;
        for (int s = 0; s < samples; s++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                PackedGemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return 2.0 * n * n * n / (best / (double) reps);
    }

    /** A fast kernel that computes garbage is not fast: spot-check one element before timing. */
    private static void checkOneElement(int n, float[] a, float[] b, float[] c) {
        int i = n / 3, j = n - 1;
        double ref = 0, mag = 0;
        for (int p = 0; p < n; p++) {
            ref += (double) a[i * n + p] * b[p * n + j];
            mag += Math.abs((double) a[i * n + p] * b[p * n + j]);
        }
        if (Math.abs(c[i * n + j] - ref) > 1e-5 * n * mag) {
            throw new IllegalStateException("gemm: C[" + i + "," + j + "]=" + c[i * n + j] + " but expected " + ref);
        }
    }
}
