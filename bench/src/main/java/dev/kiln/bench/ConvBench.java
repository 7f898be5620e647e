package dev.kiln.bench;

import dev.kiln.tensor.Device;
import dev.kiln.autograd.Functional;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench conv}: one conv2d training step (forward with bias, loss = sum of the outputs,
 * backward to the input, weight and bias) through {@link Functional#conv2d}, against PyTorch's CPU
 * {@code F.conv2d}; and, separately, the forward alone without a graph.
 *
 * <p>Same protocol as {@link GemmBench}: for every thread count torch runs in one long-lived
 * {@code python3 bench/python/conv_torch.py --serve --threads t} process; for every case the two
 * engines are timed alternately for {@code --rounds} rounds; each timing is a calibrating warm-up
 * then {@code --samples} batches of at least {@code --min-time} seconds, and the fastest batch of the
 * best round counts. Kiln's result is spot-checked against direct sums before it is timed.
 */
@Command(name = "conv", mixinStandardHelpOptions = true,
        description = "conv2d training step (forward + backward) of Kiln vs PyTorch (best-of timings, interleaved).")
public final class ConvBench implements Callable<Integer> {
    private static final java.util.regex.Pattern STEP = ReferenceProcess.field("step");
    private static final java.util.regex.Pattern FORWARD = ReferenceProcess.field("forward");

    /** One conv layer: x [n, c, h, w], weight [oc, c/groups, k, k], bias [oc]. */
    record Case(String name, int n, int c, int oc, int h, int w, int k, int stride, int pad, int groups) {
        int outH() {
            return (h + 2 * pad - k) / stride + 1;
        }

        int outW() {
            return (w + 2 * pad - k) / stride + 1;
        }

        /** Multiply-adds of the forward; the backward is twice that (input and weight gradients). */
        double forwardFlops() {
            return 2.0 * n * oc * outH() * outW() * (c / groups) * k * k;
        }

        String json() {
            return String.format(Locale.ROOT,
                    "{\"n\":%d,\"c\":%d,\"oc\":%d,\"h\":%d,\"w\":%d,\"k\":%d,\"stride\":%d,\"pad\":%d,\"groups\":%d}",
                    n, c, oc, h, w, k, stride, pad, groups);
        }
    }

    static final List<Case> CASES = List.of(
            new Case("lenet1", 64, 1, 16, 28, 28, 5, 1, 2, 1),      // Fashion-MNIST first layer
            new Case("lenet2", 64, 16, 32, 14, 14, 3, 1, 1, 1),
            new Case("res64", 16, 64, 64, 32, 32, 3, 1, 1, 1),      // a ResNet-style 3x3 block
            new Case("down128", 16, 64, 128, 16, 16, 3, 2, 1, 1),   // strided downsampling
            new Case("dw64", 16, 64, 64, 32, 32, 3, 1, 1, 64));     // depthwise

    @Option(names = "--cases", split = ",", description = "Case names (default: all of lenet1, lenet2, res64, down128, dw64).")
    List<String> caseNames;

    @Option(names = "--threads", split = ",", description = "Thread counts (default: ${DEFAULT-VALUE}).")
    int[] threads = {1, 2};

    @Option(names = "--rounds", description = "Alternating Kiln/torch rounds per case (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--samples", description = "Timed batches per round (default: ${DEFAULT-VALUE}).")
    int samples = 5;

    @Option(names = "--min-time", description = "Seconds per timed batch (default: ${DEFAULT-VALUE}).")
    double minTime = 0.1;

    @Option(names = "--warmup", description = "Seconds of JIT warm-up before the first timing (default: ${DEFAULT-VALUE}).")
    double warmup = 2.0;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Option(names = "--python", description = "Python interpreter with torch for the reference (default: ${DEFAULT-VALUE}).")
    String python = "/usr/bin/python3";

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    @Override
    public Integer call() throws Exception {
        List<Case> cases = selectedCases();
        Path script = ReferenceProcess.findScript("conv_torch.py");
        if (!json) {
            out.printf("conv2d float32 training step = forward (with bias) + sum + backward (dx, dw, db); fwd = forward"
                    + " alone, no graph.%nms per call, best of %d rounds × %d batches, Kiln and torch interleaved;"
                    + " kiln/torch < 1 means Kiln is faster%n", rounds, samples);
            out.printf("%7s %-8s %-28s %10s %10s %10s %9s %9s %9s%n", "threads", "case", "shape", "kiln step",
                    "torch step", "kiln/torch", "kiln fwd", "torch fwd", "fwd k/t");
        }
        int savedThreads = Device.CPU.threads();
        List<String> notes = new ArrayList<>();
        try {
            warmUpJit(cases);
            for (int t : threads) {
                Device.CPU.setThreads(t);
                int actual = Device.CPU.threads();
                if (actual != t) {
                    notes.add("asked for " + t + " threads, the machine has " + Runtime.getRuntime().availableProcessors() + " cores: ran " + actual);
                }
                try (ReferenceProcess ref = ReferenceProcess.start("torch", "torch", python, script,
                        List.of("--threads", Integer.toString(actual), "--samples", Integer.toString(samples),
                                "--min-time", Double.toString(minTime)),
                        Map.of("OMP_NUM_THREADS", Integer.toString(actual), "MKL_NUM_THREADS", Integer.toString(actual)),
                        List.of())) {
                    for (Case c : cases) {
                        double[] kiln = {Double.MAX_VALUE, Double.MAX_VALUE};
                        double[] torch = null;
                        try (KilnConv conv = new KilnConv(c)) {
                            conv.step();
                            conv.check();
                            for (int r = 0; r < rounds; r++) {
                                kiln[0] = Math.min(kiln[0], bestSeconds(conv::step));
                                kiln[1] = Math.min(kiln[1], bestSeconds(conv::forward));
                                double[] ts = ref.ask(c.json(), STEP, FORWARD);
                                if (ts != null) {
                                    torch = torch == null ? ts : new double[] {Math.min(torch[0], ts[0]), Math.min(torch[1], ts[1])};
                                }
                            }
                        }
                        if (ref.unavailable != null && !notes.contains(ref.unavailable)) {
                            notes.add(ref.unavailable);
                        }
                        report(actual, c, kiln, torch);
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

    private List<Case> selectedCases() {
        if (caseNames == null) {
            return CASES;
        }
        List<Case> picked = new ArrayList<>();
        for (String name : caseNames) {
            Case found = CASES.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("--cases: unknown case '" + name + "', expected one of "
                            + CASES.stream().map(Case::name).toList()));
            picked.add(found);
        }
        return picked;
    }

    private void report(int t, Case c, double[] kiln, double[] torch) {
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"conv2d\",\"case\":\"%s\",\"shape\":%s,\"step_gflop\":%.4f,\"threads\":%d,\"kiln_step_ms\":%.3f,"
                            + "\"torch_step_ms\":%s,\"ratio\":%s,\"kiln_fwd_ms\":%.3f,\"torch_fwd_ms\":%s,\"fwd_ratio\":%s}%n",
                    c.name(), c.json(), 3 * c.forwardFlops() / 1e9, t, kiln[0] * 1e3, torch == null ? "null" : fmt(torch[0] * 1e3),
                    torch == null ? "null" : fmt(kiln[0] / torch[0]), kiln[1] * 1e3,
                    torch == null ? "null" : fmt(torch[1] * 1e3), torch == null ? "null" : fmt(kiln[1] / torch[1]));
        } else {
            String shape = String.format(Locale.ROOT, "N%d %d→%d %dx%d k%d s%d p%d%s", c.n(), c.c(), c.oc(), c.h(), c.w(),
                    c.k(), c.stride(), c.pad(), c.groups() > 1 ? " g" + c.groups() : "");
            out.printf(Locale.ROOT, "%7d %-8s %-28s %10.2f %10s %10s %9.2f %9s %9s%n", t, c.name(), shape, kiln[0] * 1e3,
                    torch == null ? "n/a" : String.format(Locale.ROOT, "%.2f", torch[0] * 1e3),
                    torch == null ? "n/a" : String.format(Locale.ROOT, "%.2f", kiln[0] / torch[0]), kiln[1] * 1e3,
                    torch == null ? "n/a" : String.format(Locale.ROOT, "%.2f", torch[1] * 1e3),
                    torch == null ? "n/a" : String.format(Locale.ROOT, "%.2f", kiln[1] / torch[1]));
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Runs every case until C2 has compiled the kernels behind im2col, the GEMM and col2im. */
    private void warmUpJit(List<Case> cases) {
        long deadline = System.nanoTime() + (long) (warmup * 1e9);
        List<KilnConv> convs = new ArrayList<>();
        try {
            for (Case c : cases) {
                convs.add(new KilnConv(c));
            }
            do {
                for (KilnConv conv : convs) {
                    conv.step();
                    conv.forward();
                }
            } while (System.nanoTime() < deadline);
        } finally {
            convs.forEach(KilnConv::close);
        }
    }

    /** Best seconds per call of {@code body}: a calibrating warm-up, then {@code samples} timed batches. */
    private double bestSeconds(Runnable body) {
        int reps = 1;
        while (true) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                body.run();
            }
            if (System.nanoTime() - t0 >= minTime * 1e9) {
                break;
            }
            reps *= 2;
        }
        long best = Long.MAX_VALUE;
        for (int s = 0; s < samples; s++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                body.run();
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1e9 / reps;
    }

    /** Kiln's side of one case: the leaves, a training step and a forward, and the spot check. */
    static final class KilnConv implements AutoCloseable {
        final Case c;
        final Var x, weight, bias;
        Tensor y;   // the last step's output (for the check), owned here

        KilnConv(Case c) {
            this.c = c;
            Generator g = new Generator(1234);
            x = Var.leaf(Tensor.randn(g, c.n(), c.c(), c.h(), c.w()), true);
            try (Tensor w0 = Tensor.randn(g, c.oc(), c.c() / c.groups(), c.k(), c.k())) {
                weight = Var.leaf(w0.mul(0.1), true);
            }
            bias = Var.leaf(Tensor.randn(g, c.oc()), true);
        }

        /** Forward + sum + backward; the gradients stay on the leaves until the next step. */
        void step() {
            x.zeroGrad();
            weight.zeroGrad();
            bias.zeroGrad();
            try (TensorScope _ = TensorScope.open()) {
                Var out = Functional.conv2d(x, weight, bias, c.stride(), c.stride(), c.pad(), c.pad(), 1, 1, c.groups());
                out.sum().backward();
                if (y != null) {
                    y.close();
                }
                y = TensorScope.escape(out.value());
            }
        }

        /** The forward alone, recording no graph. */
        void forward() {
            try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
                Functional.conv2d(x, weight, bias, c.stride(), c.stride(), c.pad(), c.pad(), 1, 1, c.groups());
            }
        }

        /**
         * A fast conv that computes garbage is not fast: compares a few elements of the output and
         * of each gradient of the last {@link #step} with direct sums in double.
         */
        void check() {
            float[] xs = x.value().toFloatArray(), ws = weight.value().toFloatArray(), bs = bias.value().toFloatArray();
            float[] ys = y.toFloatArray(), dx = x.grad().toFloatArray(), dw = weight.grad().toFloatArray();
            float[] db = bias.grad().toFloatArray();
            int cg = c.c() / c.groups(), ocg = c.oc() / c.groups(), oh = c.outH(), ow = c.outW(), k = c.k();
            SplittableRandom rnd = new SplittableRandom(7);
            for (int trial = 0; trial < 8; trial++) {
                // y[n, o, i, j] = b[o] + sum over the window of x * w
                int n = rnd.nextInt(c.n()), o = rnd.nextInt(c.oc()), i = rnd.nextInt(oh), j = rnd.nextInt(ow);
                double ref = bs[o], mag = Math.abs(bs[o]);
                for (int ci = 0; ci < cg; ci++) {
                    for (int p = 0; p < k; p++) {
                        for (int q = 0; q < k; q++) {
                            double v = xAt(xs, n, o / ocg * cg + ci, i * c.stride() - c.pad() + p, j * c.stride() - c.pad() + q)
                                    * ws[((o * cg + ci) * k + p) * k + q];
                            ref += v;
                            mag += Math.abs(v);
                        }
                    }
                }
                expect("output", ys[((n * c.oc() + o) * oh + i) * ow + j], ref, mag);
                // dw[o, ci, p, q] = sum over n and output positions of the x under that tap (dy = 1)
                int ci = rnd.nextInt(cg), p = rnd.nextInt(k), q = rnd.nextInt(k);
                ref = 0;
                mag = 0;
                for (int m = 0; m < c.n(); m++) {
                    for (int a = 0; a < oh; a++) {
                        for (int b = 0; b < ow; b++) {
                            double v = xAt(xs, m, o / ocg * cg + ci, a * c.stride() - c.pad() + p, b * c.stride() - c.pad() + q);
                            ref += v;
                            mag += Math.abs(v);
                        }
                    }
                }
                expect("weight gradient", dw[((o * cg + ci) * k + p) * k + q], ref, mag);
                expect("bias gradient", db[o], (double) c.n() * oh * ow, (double) c.n() * oh * ow);
                // dx[n, ch, r, s] = sum of the weights of every (output, tap) that reads it
                int ch = rnd.nextInt(c.c()), r = rnd.nextInt(c.h()), s = rnd.nextInt(c.w());
                ref = 0;
                mag = 0;
                for (int oo = ch / cg * ocg; oo < (ch / cg + 1) * ocg; oo++) {
                    for (int pp = 0; pp < k; pp++) {
                        for (int qq = 0; qq < k; qq++) {
                            int a = r + c.pad() - pp, b = s + c.pad() - qq;
                            if (a % c.stride() == 0 && b % c.stride() == 0 && a >= 0 && b >= 0
                                    && a / c.stride() < oh && b / c.stride() < ow) {
                                double v = ws[((oo * cg + ch % cg) * k + pp) * k + qq];
                                ref += v;
                                mag += Math.abs(v);
                            }
                        }
                    }
                }
                expect("input gradient", dx[((n * c.c() + ch) * c.h() + r) * c.w() + s], ref, mag);
            }
        }

        private double xAt(float[] xs, int n, int ch, int r, int s) {
            return r < 0 || r >= c.h() || s < 0 || s >= c.w() ? 0 : xs[((n * c.c() + ch) * c.h() + r) * c.w() + s];
        }

        private void expect(String what, float got, double ref, double mag) {
            if (!(Math.abs(got - ref) <= 1e-5 * (mag + 1))) {
                throw new IllegalStateException("conv " + c.name() + ": " + what + " is " + got + " but direct summation gives " + ref);
            }
        }

        @Override
        public void close() {
            for (Var v : new Var[] {x, weight, bias}) {
                v.zeroGrad();
                v.value().close();
            }
            if (y != null) {
                y.close();
            }
        }
    }
}
