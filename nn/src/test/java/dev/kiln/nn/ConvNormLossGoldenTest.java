package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.Var;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.loss.Reduction;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Replays the PyTorch fixtures of {@code src/test/python/conv_norm_loss_fixtures.py}: convolutions
 * (strided, dilated, grouped, 1-D, 'same'), batch normalization through two training steps and
 * evaluation, and every loss with its options. Outputs and gradients must match to {@value #RTOL}
 * relative error ({@link GoldenFixture#assertMatches}); layer weights are loaded by torch's names.
 */
class ConvNormLossGoldenTest {
    static final double RTOL = 1e-4;

    private static GoldenFixture load(String name) throws IOException {
        return GoldenFixture.load(ConvNormLossGoldenTest.class, "/golden/" + name);
    }

    /** The fixture's f32 entries {@code prefix.<name>} for each name, keyed by the bare name. */
    private static Map<String, Tensor> state(GoldenFixture f, String prefix, String... names) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, f.entry(prefix + "." + n).dtype().equals("i64") ? f.i64(prefix + "." + n) : f.f32(prefix + "." + n));
        }
        return m;
    }

    /** Loads the weights, runs forward and {@code sum(out * r)} backward, and checks out and every gradient. */
    private static void checkConv(GoldenFixture f, String prefix, UnaryModule conv, boolean bias) {
        conv.loadStateDict(bias ? state(f, prefix, "weight", "bias") : state(f, prefix, "weight"), true);
        Var x = f.param(prefix + ".x");
        Var out = conv.forward(x);
        f.assertMatches(prefix + ".out", out.value(), RTOL);
        out.mul(Var.constant(f.f32(prefix + ".r"))).sum().backward();
        f.assertMatches(prefix + ".grad.x", x.grad(), RTOL);
        Map<String, Var> params = conv.namedParameters();
        f.assertMatches(prefix + ".grad.weight", params.get("weight").grad(), RTOL);
        if (bias) {
            f.assertMatches(prefix + ".grad.bias", params.get("bias").grad(), RTOL);
        }
    }

    @Test
    void convolutionsMatchTorch() throws IOException {
        GoldenFixture f = load("conv_extras.txt");
        Generator g = new Generator(0);
        checkConv(f, "conv2d", new Conv2d(4, 6, 3, 2, 1, 2, 2, true, g), true);
        checkConv(f, "conv1d", new Conv1d(4, 6, 3, 2, 2, 2, 2, true, g), true);
        checkConv(f, "conv1d_same", Conv1d.same(2, 3, 4, 1, 1, true, g), true);
        checkConv(f, "conv1d_same_dilated", Conv1d.same(4, 2, 2, 3, 2, true, g), true);
        checkConv(f, "conv2d_same", Conv2d.same(2, 4, 4, 1, 2, true, g), true);
        checkConv(f, "conv2d_same_dilated", Conv2d.same(3, 2, 3, 2, 1, false, g), false);
    }

    private static void checkBatchNorm(GoldenFixture f, String prefix, BatchNorm bn) {
        bn.loadStateDict(state(f, prefix + ".state", "weight", "bias", "running_mean", "running_var",
                "num_batches_tracked"), true);
        bn.train();
        Var x1 = f.param(prefix + ".x1");
        Var out1 = bn.forward(x1);
        f.assertMatches(prefix + ".out1", out1.value(), RTOL);
        out1.mul(Var.constant(f.f32(prefix + ".r"))).sum().backward();
        f.assertMatches(prefix + ".grad.x", x1.grad(), RTOL);
        f.assertMatches(prefix + ".grad.weight", bn.weight.grad(), RTOL);
        f.assertMatches(prefix + ".grad.bias", bn.bias.grad(), RTOL);
        bn.forward(Var.constant(f.f32(prefix + ".x2")));
        Map<String, Tensor> sd = bn.stateDict();
        f.assertMatches(prefix + ".after2.running_mean", sd.get("running_mean"), RTOL);
        f.assertMatches(prefix + ".after2.running_var", sd.get("running_var"), RTOL);
        assertEquals(f.entry(prefix + ".after2.num_batches_tracked").values()[0], sd.get("num_batches_tracked").item());
        bn.eval();
        f.assertMatches(prefix + ".eval_out", bn.forward(Var.constant(f.f32(prefix + ".x3"))).value(), RTOL);
    }

    @Test
    void batchNormTrainThenEvalMatchesTorch() throws IOException {
        GoldenFixture f = load("batchnorm.txt");
        checkBatchNorm(f, "bn2d", new BatchNorm2d(3));
        checkBatchNorm(f, "bn1d", new BatchNorm1d(2, 1e-5, null, true, true));
    }

    /** Runs {@code loss} on the fixture's {@code name.x} and checks the output and the gradient of x. */
    private static void checkLoss(GoldenFixture f, String name, Function<Var, Var> loss) {
        Var x = f.param(name + ".x");
        Var out = loss.apply(x);
        f.assertMatches(name + ".out", out.value(), RTOL);
        (out.value().rank() == 0 ? out : out.mul(Var.constant(f.f32(name + ".r"))).sum()).backward();
        f.assertMatches(name + ".grad.x", x.grad(), RTOL);
    }

    @Test
    void classIndexLossesMatchTorch() throws IOException {
        GoldenFixture f = load("losses.txt");
        long ign = Losses.IGNORE_INDEX;
        checkLoss(f, "ce_mean", x -> Losses.crossEntropy(x, f.i64("ce_mean.target")));
        checkLoss(f, "ce_sum_weight_ignore", x -> Losses.crossEntropy(x, f.i64("ce_sum_weight_ignore.target"),
                f.f32("ce_sum_weight_ignore.weight"), ign, Reduction.SUM, 0));
        checkLoss(f, "ce_mean_weight_ignore_smooth", x -> Losses.crossEntropy(x,
                f.i64("ce_mean_weight_ignore_smooth.target"), f.f32("ce_mean_weight_ignore_smooth.weight"), ign,
                Reduction.MEAN, 0.2));
        checkLoss(f, "ce_mean_ignore_smooth", x -> Losses.crossEntropy(x, f.i64("ce_mean_ignore_smooth.target"), null,
                ign, Reduction.MEAN, 0.3));
        checkLoss(f, "ce_none_weight_smooth", x -> Losses.crossEntropy(x, f.i64("ce_none_weight_smooth.target"),
                f.f32("ce_none_weight_smooth.weight"), ign, Reduction.NONE, 0.1));
        checkLoss(f, "ce_sum_ignore2_smooth", x -> Losses.crossEntropy(x, f.i64("ce_sum_ignore2_smooth.target"), null,
                2, Reduction.SUM, 0.25));
        checkLoss(f, "ce_nd_weight_smooth", x -> Losses.crossEntropy(x, f.i64("ce_nd_weight_smooth.target"),
                f.f32("ce_nd_weight_smooth.weight"), ign, Reduction.MEAN, 0.15));
        checkLoss(f, "ce_nd_none", x -> Losses.crossEntropy(x, f.i64("ce_nd_none.target"), null, ign, Reduction.NONE, 0));
        checkLoss(f, "nll_mean_weight_ignore", x -> Losses.nllLoss(x, f.i64("nll_mean_weight_ignore.target"),
                f.f32("nll_mean_weight_ignore.weight"), ign, Reduction.MEAN));
        checkLoss(f, "nll_sum", x -> Losses.nllLoss(x, f.i64("nll_sum.target"), null, ign, Reduction.SUM));
        checkLoss(f, "nll_none_weight", x -> Losses.nllLoss(x, f.i64("nll_none_weight.target"),
                f.f32("nll_none_weight.weight"), ign, Reduction.NONE));
        checkLoss(f, "nll_nd_mean", x -> Losses.nllLoss(x, f.i64("nll_nd_mean.target")));
    }

    @Test
    void regressionLossesMatchTorch() throws IOException {
        GoldenFixture f = load("losses.txt");
        for (Reduction r : Reduction.values()) {
            String red = r.name().toLowerCase(java.util.Locale.ROOT);
            checkLoss(f, "mse_" + red, x -> Losses.mseLoss(x, Var.constant(f.f32("mse_" + red + ".target")), r));
            checkLoss(f, "l1_" + red, x -> Losses.l1Loss(x, Var.constant(f.f32("l1_" + red + ".target")), r));
            checkLoss(f, "smooth_l1_" + red, x -> Losses.smoothL1Loss(x,
                    Var.constant(f.f32("smooth_l1_" + red + ".target")), r, 0.6));
            checkLoss(f, "huber_" + red, x -> Losses.huberLoss(x, Var.constant(f.f32("huber_" + red + ".target")), r, 0.7));
        }
    }

    @Test
    void bceWithLogitsMatchesTorch() throws IOException {
        GoldenFixture f = load("losses.txt");
        checkLoss(f, "bce_mean", x -> Losses.binaryCrossEntropyWithLogits(x, Var.constant(f.f32("bce_mean.target"))));
        checkLoss(f, "bce_sum_pos_weight", x -> Losses.binaryCrossEntropyWithLogits(x,
                Var.constant(f.f32("bce_sum_pos_weight.target")), null, f.f32("bce_sum_pos_weight.pos_weight"),
                Reduction.SUM));
        checkLoss(f, "bce_none_weight_pos_weight", x -> Losses.binaryCrossEntropyWithLogits(x,
                Var.constant(f.f32("bce_none_weight_pos_weight.target")), f.f32("bce_none_weight_pos_weight.weight"),
                f.f32("bce_none_weight_pos_weight.pos_weight"), Reduction.NONE));
    }
}
