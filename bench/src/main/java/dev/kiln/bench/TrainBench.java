package dev.kiln.bench;

import dev.kiln.tensor.Device;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Pool2d;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.recurrent.LSTM;
import dev.kiln.nn.recurrent.RecurrentOptions;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.optim.Adam;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench train}: the three reference training workloads in Kiln and in PyTorch (Debian
 * {@code python3-torch}, {@code bench/python/train_torch.py --serve}) in one run, same
 * architectures, batch sizes and dtype (F32), same thread count; prints units/s and the ratio
 * kiln/torch (> 1 means Kiln is faster).
 *
 * <p>Workloads: GPT (vocab 96, context 128, 4 layers, 4 heads, width 128, batch 16, AdamW; train
 * and forward-only tokens/s), CNN (conv 1→32→64, two max pools, linear 1600→128→10, batch 64,
 * SGD momentum; images/s), LSTM (input 1, hidden 64, 48 steps, linear head, MSE, batch 64, Adam;
 * sequences/s). Timing as in the Python script: warm-up steps, then {@code --samples} samples of
 * enough steps to last {@code --min-time} seconds; the best sample counts. Kiln and torch
 * alternate per workload.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Reference training workloads (GPT, CNN, LSTM): Kiln vs PyTorch units/s in one run.")
public final class TrainBench implements Callable<Integer> {
    private static final Pattern UNITS = ReferenceProcess.field("units_per_s");

    @Option(names = "--threads", description = "Threads for both engines (default: ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "--samples", description = "Timed samples per workload (default: ${DEFAULT-VALUE}).")
    int samples = 3;

    @Option(names = "--min-time", description = "Seconds per timed sample (default: ${DEFAULT-VALUE}).")
    double minTime = 0.5;

    @Option(names = "--warmup", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup = 2;

    @Option(names = "--workloads", split = ",", description = "Subset of gpt_train,gpt_forward,cnn_train,lstm_train.")
    List<String> workloads = List.of("gpt_train", "gpt_forward", "cnn_train", "lstm_train");

    @Option(names = "--kiln-only", description = "Skip the PyTorch reference.")
    boolean kilnOnly;

    @Option(names = "--json", description = "One JSON object per line (name, unit, kiln, reference, ratio).")
    boolean json;

    @Option(names = "--plot", paramLabel = "PNG", description = "Also draw the kiln/torch ratios as a bar chart (PNG).")
    Path plot;

    @Option(names = "--python", description = "Python interpreter with torch (default: ${DEFAULT-VALUE}).")
    String python = "/usr/bin/python3";

    /** One workload: a training (or forward) step and the units it processes. */
    private record Workload(String unit, int units, Runnable step) {}

    @Override
    public Integer call() {
        int saved = Device.CPU.setThreads(threads);
        List<String> notes = new ArrayList<>();
        RatioPlot chart = new RatioPlot(String.format(Locale.ROOT, "kiln bench train, %d threads, float32", threads), 1.5);
        if (!json) {
            System.out.printf("reference workloads, float32, %d threads; best of %d samples of >= %.2f s%n",
                    Device.CPU.threads(), samples, minTime);
            System.out.printf("%-12s %-12s %12s %12s %12s%n", "workload", "unit", "kiln", "torch", "kiln/torch");
        }
        Path script = ReferenceProcess.findScript("train_torch.py");
        try (ReferenceProcess ref = kilnOnly ? null : ReferenceProcess.start("torch", "torch", python, script,
                List.of("--threads", Integer.toString(threads), "--samples", Integer.toString(samples),
                        "--min-time", Double.toString(minTime), "--warmup", Integer.toString(warmup)),
                Map.of("OMP_NUM_THREADS", Integer.toString(threads), "MKL_NUM_THREADS", Integer.toString(threads)),
                List.of())) {
            for (String name : workloads) {
                Workload w = build(name);
                double kiln = w.units() / bestSeconds(w.step());
                Double torch = null;
                if (ref != null) {
                    double[] a = ref.ask(name, UNITS);
                    torch = a == null ? null : a[0];
                    if (ref.unavailable != null && !notes.contains(ref.unavailable)) {
                        notes.add(ref.unavailable);
                    }
                }
                report(name, w.unit(), kiln, torch);
                if (torch != null) {
                    chart.add(name, kiln / torch);
                }
            }
        } finally {
            Device.CPU.setThreads(saved);
        }
        notes.forEach(n -> (json ? System.err : System.out).println("note: " + n));
        if (plot != null) {
            try {
                chart.save(plot);
            } catch (IOException | IllegalStateException ex) {
                System.err.println("kiln bench train: --plot " + plot + ": " + ex.getMessage());
                return 1;
            }
            (json ? System.err : System.out).println("plot: " + plot);
        }
        return 0;
    }

    private void report(String name, String unit, double kiln, Double torch) {
        String ratio = torch == null ? "null" : String.format(Locale.ROOT, "%.3f", kiln / torch);
        if (json) {
            System.out.printf(Locale.ROOT, "{\"name\":\"%s\",\"unit\":\"%s\",\"kiln\":%.1f,\"reference\":%s,\"ratio\":%s}%n",
                    name, unit, kiln, torch == null ? "null" : String.format(Locale.ROOT, "%.1f", torch), ratio);
        } else {
            System.out.printf(Locale.ROOT, "%-12s %-12s %12.1f %12s %12s%n", name, unit, kiln,
                    torch == null ? "n/a" : String.format(Locale.ROOT, "%.1f", torch), torch == null ? "n/a" : ratio);
        }
    }

    /** Best seconds per step: warm-up, calibrate a batch lasting >= minTime, best of {@code samples} batches. */
    private double bestSeconds(Runnable step) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        int reps = 1;
        while (true) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                step.run();
            }
            if (System.nanoTime() - t0 >= minTime * 1e9) {
                break;
            }
            reps *= 2;
        }
        double best = Double.MAX_VALUE;
        for (int s = 0; s < samples; s++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                step.run();
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / reps);
        }
        return best;
    }

    private static Workload build(String name) {
        return switch (name) {
            case "gpt_train" -> gpt(true);
            case "gpt_forward" -> gpt(false);
            case "cnn_train" -> cnn();
            case "lstm_train" -> lstm();
            default -> throw new IllegalArgumentException("bench train: unknown workload '" + name
                    + "'; expected gpt_train, gpt_forward, cnn_train or lstm_train");
        };
    }

    private static Workload gpt(boolean train) {
        Generator g = new Generator(1);
        Gpt model = new Gpt(new Gpt.Config(96, 128, 4, 128, 4, 4, 512, false, true), g);
        Optimizer opt = AdamW.builder(model.parameters()).lr(3e-4).weightDecay(0.1).build();
        Tensor tokens = Tensor.randint(g, 0, 96, 16, 129);
        Tensor x = tokens.narrow(1, 0, 128).contiguous();
        Tensor y = tokens.narrow(1, 1, 128).contiguous().reshape(16 * 128);
        Runnable step = train ? () -> {
            try (TensorScope _ = TensorScope.open()) {
                opt.zeroGrad();
                Losses.crossEntropy(model.forward(x).reshape(16 * 128, 96), y).backward();
                opt.step();
            }
        } : () -> {
            try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
                model.forward(x);
            }
        };
        return new Workload("tokens/s", 16 * 128, step);
    }

    private static Workload cnn() {
        Generator g = new Generator(2);
        Sequential model = new Sequential(Conv2d.builder(1, 32, 3).generator(g).build(), Activation.relu(), Pool2d.max(2),
                Conv2d.builder(32, 64, 3).generator(g).build(), Activation.relu(), Pool2d.max(2), new Flatten(),
                new Linear(1600, 128, true, g), Activation.relu(), new Linear(128, 10, true, g));
        Optimizer opt = SGD.builder(model.parameters()).lr(0.01).momentum(0.9).weightDecay(0).build();
        Tensor x = Tensor.randn(g, 64, 1, 28, 28);
        Tensor y = Tensor.randint(g, 0, 10, 64);
        return new Workload("images/s", 64, () -> {
            try (TensorScope _ = TensorScope.open()) {
                opt.zeroGrad();
                Losses.crossEntropy(model.forward(Var.constant(x)), y).backward();
                opt.step();
            }
        });
    }

    private static Workload lstm() {
        Generator g = new Generator(3);
        LSTM lstm = new LSTM(1, 64, RecurrentOptions.defaults().batchFirst(true), g);
        Linear head = new Linear(64, 1, true, g);
        List<Var> params = new ArrayList<>(lstm.parameters());
        params.addAll(head.parameters());
        Optimizer opt = new Adam(params, 1e-3);
        Tensor x = Tensor.randn(g, 64, 48, 1);
        Tensor y = Tensor.randn(g, 64, 1);
        return new Workload("sequences/s", 64, () -> {
            try (TensorScope _ = TensorScope.open()) {
                opt.zeroGrad();
                Var last = lstm.forwardWithState(Var.constant(x)).hN().reshape(64, 64);
                Losses.mseLoss(head.forward(last), Var.constant(y)).backward();
                opt.step();
            }
        });
    }
}
