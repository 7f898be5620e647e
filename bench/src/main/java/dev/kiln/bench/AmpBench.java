package dev.kiln.bench;

import dev.kiln.autograd.Autocast;
import dev.kiln.autograd.Var;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.amp.DynamicLossScaler;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import dev.kiln.tensor.storage.BufferPool;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench amp}: training speed and activation memory of the GPT reference model (vocab 96,
 * context 128, 4 layers, 4 heads, width 128, batch 16, AdamW) in F32, and under F16 (with dynamic
 * loss scaling) and BF16 autocast.
 *
 * <p>Speed: best of {@code --steps} timed steps after {@code --warmup} steps. Memory: heap retained by
 * one step's forward graph (everything saved for backward), measured after a full GC with the buffer
 * pool emptied, minus the heap before the forward.
 */
@Command(name = "amp", mixinStandardHelpOptions = true,
        description = "GPT reference model: train tokens/s and activation memory in F32, F16 and BF16 autocast.")
public final class AmpBench implements Callable<Integer> {
    @Option(names = "--steps", description = "Timed training steps per precision (default: ${DEFAULT-VALUE}).")
    int steps = 3;

    @Option(names = "--warmup", description = "Untimed steps per precision first (default: ${DEFAULT-VALUE}).")
    int warmup = 2;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    private static final int VOCAB = 96, CONTEXT = 128, BATCH = 16;

    @Override
    public Integer call() {
        if (!json) {
            System.out.printf("GPT reference (vocab %d, context %d, 4 layers, 4 heads, width 128, batch %d, AdamW)%n",
                    VOCAB, CONTEXT, BATCH);
            System.out.printf("%-6s %14s %14s %14s%n", "dtype", "train tok/s", "activations", "loss");
        }
        for (DType d : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            run(d);
        }
        return 0;
    }

    private void run(DType precision) {
        Gpt gpt = new Gpt(new Gpt.Config(VOCAB, CONTEXT, 4, 128, 4, 4, 512, false, true), new Generator(1));
        Optimizer opt = AdamW.builder(gpt.parameters()).lr(3e-4).weightDecay(0.1).build();
        DynamicLossScaler scaler = precision == DType.F16 ? new DynamicLossScaler() : null;
        Generator data = new Generator(2);
        Tensor tokens = Tensor.randint(data, 0, VOCAB, BATCH, CONTEXT + 1);
        Tensor input = tokens.narrow(1, 0, CONTEXT).contiguous();
        Tensor target = tokens.narrow(1, 1, CONTEXT).contiguous().reshape(BATCH * CONTEXT);
        double best = Double.MAX_VALUE;
        double loss = Double.NaN;
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            try (TensorScope _ = TensorScope.open()) {
                Var l = forward(gpt, input, target, precision);
                if (scaler != null) {
                    scaler.scale(l).backward();
                    scaler.step(opt);
                    scaler.update();
                } else {
                    l.backward();
                    opt.step();
                }
                opt.zeroGrad();
                loss = l.value().item();
            }
            if (s >= warmup) {
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
        }
        long before = usedAfterGc();
        Var graph = forward(gpt, input, target, precision);
        long activations = usedAfterGc() - before;
        if (!graph.requiresGrad()) {
            throw new IllegalStateException("the measured forward recorded no graph");
        }
        double tokPerSec = BATCH * CONTEXT / best;
        if (json) {
            System.out.printf(Locale.ROOT, "{\"name\":\"gpt_train_%s\",\"unit\":\"tokens/s\",\"kiln\":%.1f,\"activation_bytes\":%d,\"loss\":%.4f}%n",
                    precision.name().toLowerCase(Locale.ROOT), tokPerSec, activations, loss);
        } else {
            System.out.printf(Locale.ROOT, "%-6s %14.0f %11.1f MiB %14.4f%n", precision, tokPerSec, activations / 1048576.0, loss);
        }
    }

    private static Var forward(Gpt gpt, Tensor input, Tensor target, DType precision) {
        try (Autocast _ = precision == DType.F32 ? Autocast.disabled() : Autocast.enter(precision)) {
            return Losses.crossEntropy(gpt.forward(input).reshape(BATCH * CONTEXT, VOCAB), target);
        }
    }

    private static long usedAfterGc() {
        BufferPool.clear();
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }
}
