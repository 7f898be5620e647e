package dev.kiln.optim.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autocast;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Pool2d;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.GradClip;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.optim.amp.DynamicLossScaler;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.checked.CheckedBackend;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device seam, proved without a GPU: a GPT (AdamW, gradient clipping, dynamic loss scaling)
 * and a CNN (SGD with momentum under BF16 autocast) train three steps on the checked device,
 * save a training checkpoint, load it into freshly built copies and predict. Every kernel the
 * checked device runs refuses storage it did not allocate, so any code that reaches past the
 * backend into CPU memory, or mixes a CPU tensor into the run, fails here. The results must be
 * bit-identical to the same run on the plain CPU device: losses, checkpoint bytes, predictions.
 */
class CheckedDeviceTrainingTest {
    private static Device checked;

    @TempDir
    Path dir;

    @BeforeAll
    static void install() {
        checked = CheckedBackend.install();
    }

    /** What a run produced, all as host values. */
    record Run(List<Double> losses, byte[] checkpoint, float[] predictions, Device parameterDevice) {}

    /** One model family: how to build it, make a batch, compute a loss, and make an optimizer. */
    interface Recipe {
        Module build(Generator g);

        Tensor[] batch(Generator g);

        Var loss(Module m, Tensor[] batch);

        Optimizer optimizer(Module m);

        /** The loss scaler, or null. */
        DynamicLossScaler scaler();

        /** Null, or the autocast dtype of the forward pass. */
        DType autocast();
    }

    static final Gpt.Config GPT = new Gpt.Config(23, 16, 2, 32, 4, 2, 64, true, false);

    static final Recipe GPT_RECIPE = new Recipe() {
        @Override
        public Module build(Generator g) {
            return new Gpt(GPT, g);
        }

        @Override
        public Tensor[] batch(Generator g) {
            Tensor tokens = Tensor.randint(g, 0, GPT.vocabSize(), 3, 9);
            return new Tensor[] {tokens.narrow(1, 0, 8), tokens.narrow(1, 1, 8)};
        }

        @Override
        public Var loss(Module m, Tensor[] b) {
            Var logits = ((Gpt) m).forward(b[0]);
            try (Tensor flatTargets = b[1].reshape(-1)) {
                return Losses.crossEntropy(logits.reshape(-1, GPT.vocabSize()), flatTargets);
            }
        }

        @Override
        public Optimizer optimizer(Module m) {
            return AdamW.builder(m.parameters()).lr(3e-3).weightDecay(0.1).build();
        }

        @Override
        public DynamicLossScaler scaler() {
            return new DynamicLossScaler(1024, 2, 0.5, 2);
        }

        @Override
        public DType autocast() {
            return null;
        }
    };

    static final Recipe CNN_RECIPE = new Recipe() {
        @Override
        public Module build(Generator g) {
            return new Sequential(new Conv2d(1, 4, 3, 1, 1, 1, 1, true, g), Activation.relu(), Pool2d.max(2),
                    new Conv2d(4, 8, 3, 1, 0, 1, 1, true, g), Activation.relu(), new Flatten(),
                    new Linear(8 * 2 * 2, 5, true, g));
        }

        @Override
        public Tensor[] batch(Generator g) {
            return new Tensor[] {Tensor.randn(g, 6, 1, 8, 8), Tensor.randint(g, 0, 5, 6)};
        }

        @Override
        public Var loss(Module m, Tensor[] b) {
            Var logits = ((Sequential) m).forward(Var.constant(b[0]));
            return Losses.crossEntropy(logits.to(DType.F32), b[1]);
        }

        @Override
        public Optimizer optimizer(Module m) {
            return SGD.builder(m.parameters()).lr(0.05).momentum(0.9).weightDecay(1e-4).build();
        }

        @Override
        public DynamicLossScaler scaler() {
            return null;
        }

        @Override
        public DType autocast() {
            return DType.BF16;
        }
    };

    private Run run(Device device, Recipe r, String name) throws IOException {
        List<Double> losses = new ArrayList<>();
        Path ckpt = dir.resolve(name + "-" + device.type() + ".safetensors");
        // Only construction runs in a device scope; steps, checkpoints and predictions run outside
        // it, on inputs moved to the device, so anything that allocates on the default device
        // (optimizer state, scaler flags, loaded tensors, temporaries inside models) shows up.
        Module model;
        Optimizer opt;
        try (DeviceScope _ = DeviceScope.enter(device)) {
            model = r.build(new Generator(11));
        }
        opt = r.optimizer(model);
        Generator data = new Generator(12);
        DynamicLossScaler scaler = r.scaler();
        for (int step = 0; step < 3; step++) {
            try (TensorScope _ = TensorScope.open()) {
                Tensor[] b = onDevice(r.batch(data), device);
                Var loss;
                try (Autocast _ = r.autocast() == null ? Autocast.disabled() : Autocast.enter(r.autocast())) {
                    loss = r.loss(model, b);
                }
                losses.add(loss.value().item());
                (scaler == null ? loss : scaler.scale(loss)).backward();
                if (scaler != null) {
                    scaler.unscale(opt);
                }
                GradClip.clipGradNorm(model.parameters(), 0.5);
                if (scaler != null) {
                    scaler.step(opt);
                    scaler.update();
                } else {
                    opt.step();
                }
                opt.zeroGrad();
            }
        }
        String scalerState = scaler == null ? "none" : new java.util.TreeMap<>(scaler.state()).toString();
        new TrainingCheckpoint(model, opt).generator("data", data).save(ckpt, 3, Map.of("scaler", scalerState));

        // A fresh model and optimizer (other initial weights), restored from the file, then one prediction.
        Module restored;
        try (DeviceScope _ = DeviceScope.enter(device)) {
            restored = r.build(new Generator(99));
        }
        Optimizer restoredOpt = r.optimizer(restored);
        Generator restoredData = new Generator(0);
        new TrainingCheckpoint(restored, restoredOpt).generator("data", restoredData).load(ckpt);
        float[] predictions;
        try (TensorScope _ = TensorScope.open()) {
            restored.eval();
            Var out = r.loss(restored, onDevice(r.batch(restoredData), device));
            predictions = concat(out.value().toFloatArray(), restored.parameters().getLast().value().toFloatArray());
        }
        assertEquals(device, restored.parameters().getFirst().value().device(), "restored parameters stay on the device");
        return new Run(losses, Files.readAllBytes(ckpt), predictions, model.parameters().getFirst().value().device());
    }

    private static Tensor[] onDevice(Tensor[] batch, Device device) {
        Tensor[] out = new Tensor[batch.length];
        for (int i = 0; i < batch.length; i++) {
            out[i] = batch[i].to(device);
        }
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private void assertSameRun(Recipe r, String name) throws IOException {
        Run cpu = run(Device.CPU, r, name);
        Run dev = run(checked, r, name);
        assertEquals(Device.CPU, cpu.parameterDevice());
        assertEquals(checked, dev.parameterDevice(), "the model was built on the checked device");
        assertEquals(cpu.losses(), dev.losses(), name + ": losses of the 3 steps");
        assertTrue(cpu.losses().get(2) < cpu.losses().get(0), name + ": training lowers the loss " + cpu.losses());
        assertArrayEquals(cpu.checkpoint(), dev.checkpoint(), name + ": checkpoint bytes");
        assertArrayEquals(cpu.predictions(), dev.predictions(), name + ": predictions after loading the checkpoint");
    }

    @Test
    void gptTrainsSavesLoadsAndPredictsBitIdentically() throws IOException {
        assertSameRun(GPT_RECIPE, "gpt");
    }

    @Test
    void cnnTrainsSavesLoadsAndPredictsBitIdentically() throws IOException {
        assertSameRun(CNN_RECIPE, "cnn");
    }

    @Test
    void checkedDeviceRefusesCpuStorage() {
        try (DeviceScope _ = DeviceScope.enter(checked); Tensor onChecked = Tensor.ones(3)) {
            Tensor onCpu = Tensor.ones(3).to(Device.CPU);
            Function<Tensor, Tensor> bad = t -> onChecked.add(t);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bad.apply(onCpu));
            assertTrue(e.getMessage().contains("different devices"), e.getMessage());
            assertEquals(checked, onChecked.device());
            assertEquals(Device.CPU, onCpu.device());
        }
    }
}
