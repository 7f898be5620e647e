package dev.kiln.bench;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.models.GptConfigJson;
import dev.kiln.nn.quant.QuantizedLinear;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.kernels.cpu.Int8Gemm;
import dev.kiln.tensor.kernels.cpu.PackedGemm;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kiln bench quant}: F32 against int8 in one process, (a) GEMM throughput, {@link PackedGemm}
 * (C = A·Wᵀ, W [n, k]) against {@link Int8Gemm} (int8 weights and activations, int32 sums,
 * dequantized F32 out) at a few m×n×k, and (b) a GPT's batch-1 greedy generation through the KV
 * cache, the F32 model against the same weights quantized by {@link Quantizer#quantize} (dynamic
 * activations). Prints GFLOPS/GOPS (2·m·n·k per product) and tokens/s, each with the int8/F32 ratio.
 *
 * <p>Timing: each measurement first runs {@code --warmup} seconds per side untimed (F32 and int8 in
 * alternating slices, so both are JIT-compiled), then {@code --samples} timed batches
 * of back-to-back calls lasting at least {@code --min-time} s; the fastest batch counts (on a shared
 * machine interference only ever slows a run). F32 and int8 alternate sample by sample so a noisy
 * neighbour hurts both alike. Generation tokens/s counts the generated tokens over the whole call
 * (an {@code --prompt}-token prefill included; it is a small share at the default sizes).
 *
 * <p>{@code --run RUN_DIR} replaces the synthetic GPT with a trained one: a {@code kiln train gpt}
 * run is timed in batch-1 generation, a {@code kiln train cnn} run in batched inference (images/s
 * at {@code --batch}); the int8 side is {@code --int8-run} (a {@code kiln quantize} output of that
 * run, dynamic or static) or, without it, the run quantized in memory with dynamic activations.
 */
@Command(name = "quant", mixinStandardHelpOptions = true,
        description = "F32 vs int8: GEMM GFLOPS/GOPS and GPT batch-1 generation tokens/s, with ratios.")
public final class QuantBench implements Callable<Integer> {
    @Option(names = "--shapes", split = ";", description = "GEMM shapes m,n,k separated by ';' (default: ${DEFAULT-VALUE}).")
    String[] shapes = {"1,3072,768", "1,768,3072", "16,768,768", "256,256,256", "512,512,512"};

    @Option(names = "--threads", description = "Compute threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--samples", description = "Timed batches per measurement (default: ${DEFAULT-VALUE}).")
    int samples = 5;

    @Option(names = "--min-time", description = "Seconds per timed batch (default: ${DEFAULT-VALUE}).")
    double minTime = 0.2;

    @Option(names = "--warmup", description = "Seconds each side runs untimed first, F32 and int8 alternating, so both are"
            + " JIT-compiled before timing (default: ${DEFAULT-VALUE}).")
    double warmup = 3;

    @Option(names = "--layers", description = "GPT blocks (default: ${DEFAULT-VALUE}).")
    int layers = 6;

    @Option(names = "--width", description = "GPT width d_model; the MLP is 4x (default: ${DEFAULT-VALUE}).")
    int width = 768;

    @Option(names = "--heads", description = "GPT attention heads (default: ${DEFAULT-VALUE}).")
    int heads = 12;

    @Option(names = "--vocab", description = "GPT vocabulary, an untied LM head (default: ${DEFAULT-VALUE}).")
    int vocab = 512;

    @Option(names = "--prompt", description = "Prompt tokens before generation (default: ${DEFAULT-VALUE}).")
    int prompt = 8;

    @Option(names = "--tokens", description = "Tokens generated per timed call (default: ${DEFAULT-VALUE}).")
    int tokens = 32;

    @Option(names = "--run", paramLabel = "RUN_DIR", description = "Time a trained run instead of the synthetic GPT: a"
            + " kiln train gpt run (batch-1 generation; --layers, --width, --heads and --vocab then do not apply) or a"
            + " kiln train cnn run (inference images/s at --batch).")
    Path run;

    @Option(names = "--int8-run", paramLabel = "DIR", description = "With --run: the int8 twin, a kiln quantize output of"
            + " that run (default: --run quantized in memory, dynamic activations).")
    Path int8Run;

    @Option(names = "--batch", description = "Images per forward with a cnn --run (default: ${DEFAULT-VALUE}, as kiln eval).")
    int batch = 500;

    @Option(names = "--skip-gemm", description = "Only the GPT generation.")
    boolean skipGemm;

    @Option(names = "--skip-gpt", description = "Only the GEMMs.")
    boolean skipGpt;

    @Spec
    CommandSpec spec;

    /** picocli's stdout, set when the command runs (tests capture it with {@code setOut}). */
    private PrintWriter out;

    @Override
    public Integer call() throws IOException {
        out = spec.commandLine().getOut();
        check(threads >= 1 && samples >= 1 && minTime > 0 && warmup >= 0, "--threads and --samples must be >= 1, --min-time"
                + " > 0 and --warmup >= 0");
        check(layers >= 1 && width >= 1 && heads >= 1 && width % heads == 0, "--heads must divide --width, got "
                + width + " and " + heads);
        check(vocab >= 2 && prompt >= 1 && tokens >= 1, "--vocab must be >= 2, --prompt and --tokens >= 1");
        check(int8Run == null || run != null, "--int8-run needs --run (the F32 run it was quantized from)");
        check(batch >= 1, "--batch must be >= 1, got " + batch);
        int saved = Device.CPU.setThreads(threads);
        try {
            out.printf(Locale.ROOT, "kiln bench quant: %d threads, %.1f s warm-up, best of %d batches of >= %.2f s, F32 and int8"
                    + " alternating%n", Device.CPU.threads(), warmup, samples, minTime);
            if (!skipGemm) {
                gemms();
            }
            if (!skipGpt) {
                if (run != null && kindOf(run).startsWith("kiln train cnn:")) {
                    cnnInference();
                } else {
                    generation();
                }
            }
        } finally {
            Device.CPU.setThreads(saved);
        }
        return 0;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), "kiln bench quant: " + message);
        }
    }

    private void gemms() {
        out.printf("%n(a) GEMM C[m,n] = A[m,k]·W[n,k]^T; ops = 2mnk%n");
        out.printf("%-16s %12s %12s %8s%n", "m x n x k", "F32 GFLOPS", "int8 GOPS", "int8/F32");
        for (String s : shapes) {
            String[] p = s.split(",");
            check(p.length == 3, "--shapes: '" + s + "' is not m,n,k");
            int m = Integer.parseInt(p[0].trim());
            int n = Integer.parseInt(p[1].trim());
            int k = Integer.parseInt(p[2].trim());
            SplittableRandom r = new SplittableRandom(m * 31L + n * 17L + k);
            byte[] a8 = new byte[m * k];
            byte[] w8 = new byte[n * k];
            float[] a = new float[m * k];
            float[] w = new float[n * k];
            for (int i = 0; i < a8.length; i++) {
                a8[i] = (byte) r.nextInt(-127, 128);
                a[i] = a8[i];
            }
            for (int i = 0; i < w8.length; i++) {
                w8[i] = (byte) r.nextInt(-127, 128);
                w[i] = w8[i];
            }
            float[] as = filled(m, 0.01f);
            float[] ws = filled(n, 0.01f);
            float[] c = new float[m * n];
            double[] best = bestOfAlternating(
                    () -> PackedGemm.sgemm(false, true, m, n, k, 1f, a, 0, k, w, 0, k, 0f, c, 0, n),
                    () -> Int8Gemm.gemm(m, n, k, a8, 0, k, as, 0, true, w8, 0, k, ws, null, c, 0, n));
            double ops = 2.0 * m * n * k;
            out.printf(Locale.ROOT, "%-16s %12.1f %12.1f %7.2fx%n", m + "x" + n + "x" + k, ops / best[0] / 1e9,
                    ops / best[1] / 1e9, best[0] / best[1]);
        }
    }

    private void generation() throws IOException {
        Gpt f32;
        Gpt int8;
        String description;
        if (run != null) {
            f32 = trainedGpt(run);
            int8 = trainedGpt(int8Run != null ? int8Run : run);
            int quantized = int8Run != null ? countQuantized(int8) : Quantizer.quantize(int8).linear().size();
            Gpt.Config c = f32.config;
            check(prompt + tokens <= c.maxSeqLen(), "--prompt + --tokens = " + (prompt + tokens) + " exceeds the run's"
                    + " context of " + c.maxSeqLen() + " tokens");
            description = String.format(Locale.ROOT, "trained run %s, %d layers, width %d, %d heads, vocab %d, %.2fM params;"
                    + " %d int8 Linear layers (%s)", run, c.nLayers(), c.dModel(), c.nHeads(), c.vocabSize(),
                    f32.parameterCount() / 1e6, quantized, int8Run != null ? int8Run.toString() : "quantized in memory,"
                    + " dynamic activations");
        } else {
            Gpt.Config cfg = new Gpt.Config(vocab, prompt + tokens, layers, width, heads, heads, 4 * width, false, false);
            f32 = new Gpt(cfg, new Generator(7));
            int8 = new Gpt(cfg, new Generator(7));
            Quantizer.Report report = Quantizer.quantize(int8);
            description = String.format(Locale.ROOT, "synthetic, %d layers, width %d, %d heads, vocab %d (untied head),"
                    + " %.1fM params; %d int8 Linear layers", layers, width, heads, vocab, f32.parameterCount() / 1e6,
                    report.linear().size());
        }
        int vocabSize = f32.config.vocabSize();
        out.printf(Locale.ROOT, "%n(b) GPT batch-1 greedy generation: %s; %d-token prompt, %d generated tokens per call%n",
                description, prompt, tokens);
        long[] promptIds = new long[prompt];
        for (int i = 0; i < prompt; i++) {
            promptIds[i] = (i * 37 + 11) % vocabSize;
        }
        long[][] generated = new long[2][];
        double[] best = bestOfAlternating(() -> generated[0] = f32.generateGreedy(promptIds, tokens),
                () -> generated[1] = int8.generateGreedy(promptIds, tokens));
        int agree = 0;
        for (int i = prompt; i < prompt + tokens; i++) {
            if (generated[0][i] != generated[1][i]) {
                break;
            }
            agree++;
        }
        out.printf("%-16s %12s %12s %8s%n", "", "F32 tok/s", "int8 tok/s", "int8/F32");
        out.printf(Locale.ROOT, "%-16s %12.1f %12.1f %7.2fx%n", "generation", tokens / best[0], tokens / best[1],
                best[0] / best[1]);
        out.printf(Locale.ROOT, "weights: %.1f MiB F32 -> %.1f MiB int8 in the Linear layers; greedy tokens agree for the"
                + " first %d of %d%s%n", linearBytes(f32, 4) / 1048576.0, linearBytes(f32, 1) / 1048576.0, agree, tokens,
                run != null ? "" : " (random weights: near-ties are common)");
    }

    /** F32 and int8 forward passes of a trained cnn on one batch of N(0, 1) images (speed does not depend on the pixels). */
    private void cnnInference() throws IOException {
        Sequential f32 = trainedCnn(run);
        Sequential int8 = trainedCnn(int8Run != null ? int8Run : run);
        Quantizer.Report report = int8Run != null ? null : Quantizer.quantize(int8);
        Map<String, String> meta = metadata(run);
        int height = Integer.parseInt(meta.getOrDefault("input_height", "28"));
        int width = Integer.parseInt(meta.getOrDefault("input_width", "28"));
        out.printf(Locale.ROOT, "%n(b) CNN inference: trained run %s, %d params; int8 layers from %s; batches of %d"
                + " images %dx%d%n", run, f32.parameterCount(), int8Run != null ? int8Run.toString()
                : "--run quantized in memory, dynamic activations (" + report.linear().size() + " Linear, "
                + report.conv2d().size() + " Conv2d)", batch, height, width);
        try (Tensor x = Tensor.randn(new Generator(11), batch, 1, height, width)) {
            Var input = Var.constant(x);
            double[] best = bestOfAlternating(() -> forwardOnce(f32, input), () -> forwardOnce(int8, input));
            out.printf("%-16s %12s %12s %8s%n", "", "F32 img/s", "int8 img/s", "int8/F32");
            out.printf(Locale.ROOT, "%-16s %12.1f %12.1f %7.2fx%n", "inference", batch / best[0], batch / best[1],
                    best[0] / best[1]);
        }
    }

    private static void forwardOnce(Sequential model, Var input) {
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            model.forward(input).value().toFloatArray();
        }
    }

    private Map<String, String> metadata(Path dir) throws IOException {
        Path file = modelFile(dir);
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            return Map.copyOf(c.metadata());
        }
    }

    private Path modelFile(Path dir) {
        Path file = Files.isRegularFile(dir) ? dir : dir.resolve("model.safetensors");
        check(Files.isRegularFile(file), dir + " has no model.safetensors (a finished kiln train or kiln quantize run has one)");
        return file;
    }

    private String kindOf(Path dir) throws IOException {
        String kind = metadata(dir).getOrDefault("model", "");
        check(kind.startsWith("kiln train gpt:") || kind.startsWith("kiln train cnn:"), modelFile(dir) + " is not a kiln"
                + " train gpt or cnn run (metadata \"model\" is \"" + kind + "\")");
        return kind;
    }

    /** Loads {@code file} into {@code net}: int8 layers as such when it is a kiln quantize checkpoint. */
    private static void loadInto(Path file, Map<String, String> meta, Module net) throws IOException {
        if (Quantizer.isQuantized(meta)) {
            Quantizer.load(file, net);
        } else {
            Safetensors.loadModule(file, net, true);
        }
        net.eval();
    }

    private Sequential trainedCnn(Path dir) throws IOException {
        check(kindOf(dir).startsWith("kiln train cnn:"), dir + " is not a kiln train cnn run like --run");
        Map<String, String> meta = metadata(dir);
        Sequential net = ConvNet.build(Integer.parseInt(meta.getOrDefault("input_height", "28")),
                Integer.parseInt(meta.getOrDefault("input_width", "28")), new Generator(0));
        loadInto(modelFile(dir), meta, net);
        return net;
    }

    /** The GPT of a kiln train gpt run, or of its kiln quantize output (int8 layers loaded as such). */
    private Gpt trainedGpt(Path dir) throws IOException {
        check(kindOf(dir).startsWith("kiln train gpt:"), dir + " is not a kiln train gpt run like --run");
        Map<String, String> meta = metadata(dir);
        if (!(JsonFiles.parse(meta.getOrDefault("config", "null"), "metadata config") instanceof Map<?, ?> config)) {
            throw new IOException(modelFile(dir) + ": metadata \"config\" must be a JSON object");
        }
        Gpt net = new Gpt(GptConfigJson.fromJson(config), new Generator(0));
        loadInto(modelFile(dir), meta, net);
        return net;
    }

    /** Linear layers under {@code m} that run int8 (their forward is a {@link QuantizedLinear}). */
    private static int countQuantized(Module m) {
        int n = m instanceof Linear lin && lin.forwardReplacement() instanceof QuantizedLinear ? 1 : 0;
        for (Module child : m.children().values()) {
            n += countQuantized(child);
        }
        return n;
    }

    private static long linearBytes(Gpt model, int bytesPerWeight) {
        long n = 0;
        for (var e : model.namedParameters().entrySet()) {
            if (e.getKey().endsWith("weight") && e.getValue().value().rank() == 2 && !e.getKey().startsWith("wte.") && !e.getKey().startsWith("wpe.")) {
                n += e.getValue().value().numel();
            }
        }
        return n * bytesPerWeight;
    }

    private static float[] filled(int n, float v) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, v);
        return x;
    }

    /** Seconds per call of each, best batch, the two measured alternately. */
    private double[] bestOfAlternating(Runnable f32, Runnable int8) {
        warmUp(f32, int8);
        int reps0 = calibrate(f32);
        int reps1 = calibrate(int8);
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int s = 0; s < samples; s++) {
            best[0] = Math.min(best[0], time(f32, reps0));
            best[1] = Math.min(best[1], time(int8, reps1));
        }
        return best;
    }

    // C2 needs seconds of calls before the F32 GEMV and the int8 kernels run compiled (a 1x384x128 F32 product took
    // 63 us on its first calls and 7 us after 3 s); one untimed call left the first samples, and so the best-of,
    // at the mercy of when compilation finished. Alternating in ~50 ms slices warms both sides alike.
    private void warmUp(Runnable f32, Runnable int8) {
        long end = System.nanoTime() + (long) (2 * warmup * 1e9);
        while (System.nanoTime() < end) {
            runFor(f32, 0.05);
            runFor(int8, 0.05);
        }
    }

    private static void runFor(Runnable body, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            body.run();
        } while (System.nanoTime() < end);
    }

    /** Runs {@code body} once more, then returns how many calls fill --min-time. */
    private int calibrate(Runnable body) {
        body.run();
        double once = time(body, 1);
        return (int) Math.max(1, Math.min(1_000_000, Math.ceil(minTime / Math.max(once, 1e-9))));
    }

    private static double time(Runnable body, int reps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            body.run();
        }
        return (System.nanoTime() - t0) / 1e9 / reps;
    }
}
