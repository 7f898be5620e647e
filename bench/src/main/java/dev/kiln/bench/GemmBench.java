package dev.kiln.bench;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.PackedGemm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    @Override
    public Integer call() throws Exception {
        Path script = findScript();
        if (!json) {
            out.printf("sgemm float32, row-major C = A·B, n×n; GFLOPS = 2n³/time; best of %d rounds × %d batches,"
                    + " Kiln and numpy interleaved%n", rounds, samples);
            out.printf("%7s %6s %12s %13s %11s%n", "threads", "n", "kiln GFLOPS", "numpy GFLOPS", "kiln/numpy");
        }
        warmUpJit();
        int savedThreads = CpuParallel.threads();
        List<String> notes = new ArrayList<>();
        try {
            for (int t : threads) {
                CpuParallel.setThreads(t);
                int actual = CpuParallel.threads();
                if (actual != t) {
                    notes.add("asked for " + t + " threads, the machine has " + CpuParallel.cores() + " cores: ran " + actual);
                }
                try (NumpyReference ref = NumpyReference.start(python, script, actual, samples, minTime)) {
                    if (ref.unavailable != null && !notes.contains(ref.unavailable)) {
                        notes.add(ref.unavailable);
                    }
                    for (int n : sizes) {
                        double kiln = 0;
                        Double numpy = null;
                        for (int r = 0; r < rounds; r++) {
                            kiln = Math.max(kiln, kilnGflops(n));
                            Double g = ref.gflops(n);
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
            CpuParallel.setThreads(savedThreads);
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

    /** Locates bench/python/gemm_numpy.py under -Dkiln.home, else the working directory or its parents. */
    private static Path findScript() {
        Path rel = Path.of("bench", "python", "gemm_numpy.py");
        String home = System.getProperty("kiln.home");
        if (home != null) {
            return Path.of(home).resolve(rel);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(rel))) {
                return dir.resolve(rel);
            }
        }
        return Path.of("").toAbsolutePath().resolve(rel);
    }

    /** A {@code gemm_numpy.py --serve} process; {@link #unavailable} says why there is no reference. */
    private static final class NumpyReference implements AutoCloseable {
        private static final Pattern GFLOPS = Pattern.compile("\"gflops\":\\s*([0-9.eE+-]+)");
        final Process process;
        final BufferedReader reader;
        final PrintWriter writer;
        String unavailable;

        private NumpyReference(Process process, String unavailable) {
            this.process = process;
            this.unavailable = unavailable;
            this.reader = process == null ? null
                    : new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.writer = process == null ? null
                    : new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        }

        static NumpyReference start(String python, Path script, int threads, int samples, double minTime) {
            if (!Files.isRegularFile(script)) {
                return new NumpyReference(null, "no numpy reference: " + script
                        + " not found (run from the repository root or pass -Dkiln.home=<repo root>)");
            }
            ProcessBuilder pb = new ProcessBuilder(python, script.toString(), "--serve",
                    "--samples", Integer.toString(samples), "--min-time", Double.toString(minTime));
            pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            // Site-wide OpenBLAS overrides would make the reference something other than stock numpy.
            pb.environment().remove("OPENBLAS_CORETYPE");
            pb.environment().remove("OPENBLAS_L2_SIZE");
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            NumpyReference ref;
            try {
                ref = new NumpyReference(pb.start(), null);
            } catch (IOException e) {
                return new NumpyReference(null, "no numpy reference: cannot run '" + python + "': " + e.getMessage());
            }
            try {
                String hello = ref.reader.readLine();
                if (hello == null || !hello.contains("\"ready\"")) {
                    ref.unavailable = "no numpy reference: '" + python + " " + script
                            + "' did not start (is numpy installed? try: " + python + " -c 'import numpy')";
                }
            } catch (IOException e) {
                ref.unavailable = "no numpy reference: " + e.getMessage();
            }
            return ref;
        }

        /** GFLOPS of numpy for one n×n matmul, or null once the reference is unavailable. */
        Double gflops(int n) {
            if (unavailable != null) {
                return null;
            }
            try {
                writer.println(n);
                String line = reader.readLine();
                Matcher m = line == null ? null : GFLOPS.matcher(line);
                if (m == null || !m.find()) {
                    unavailable = "no numpy reference: gemm_numpy.py answered " + line;
                    return null;
                }
                return Double.parseDouble(m.group(1));
            } catch (IOException e) {
                unavailable = "no numpy reference: " + e.getMessage();
                return null;
            }
        }

        @Override
        public void close() {
            if (process == null) {
                return;
            }
            writer.close();    // EOF on stdin ends the --serve loop
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
