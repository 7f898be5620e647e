package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays {@code golden/conv_shapes.txt} ({@code conv_norm_loss_fixtures.py}, torch 1.13): Conv2d
 * built with the builder over rectangular kernel/stride/padding/dilation, groups, padding "same"
 * with odd and even effective kernels, "valid", and unbatched input, for Conv2d and Conv1d. The
 * output and the input, weight and bias gradients must match torch's float64 results to
 * {@value #RTOL} relative error, measured against a tenth of each tensor's largest magnitude.
 */
class ConvShapesGoldenTest {
    static final double RTOL = 1e-5;
    static final double FLOOR = 0.1;

    private static void check(GoldenFixture f, String prefix, UnaryModule conv) {
        Map<String, Tensor> inputs = f.stateDict(prefix + "."); // weight, bias (when torch's has one), x, r
        boolean bias = inputs.containsKey("bias");
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("weight", inputs.get("weight"));
        if (bias) {
            state.put("bias", inputs.get("bias"));
        }
        conv.loadStateDict(state, true); // strict: also proves the bias flag agrees with torch's module
        Var x = f.param(prefix + ".x");
        Var out = conv.forward(x);
        f.assertMatches(prefix + ".out", out.value(), RTOL, FLOOR);
        out.mul(Var.constant(f.f32(prefix + ".r"))).sum().backward();
        f.assertMatches(prefix + ".grad.x", x.grad(), RTOL, FLOOR);
        Map<String, Var> params = conv.namedParameters();
        f.assertMatches(prefix + ".grad.weight", params.get("weight").grad(), RTOL, FLOOR);
        if (bias) {
            f.assertMatches(prefix + ".grad.bias", params.get("bias").grad(), RTOL, FLOOR);
        }
    }

    @Test
    void conv2dBuilderShapesMatchTorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(ConvShapesGoldenTest.class, "/golden/conv_shapes.txt");
        Generator g = new Generator(0);
        check(f, "rect_kernel", Conv2d.builder(3, 4, 2, 3).generator(g).build());
        check(f, "rect_all", Conv2d.builder(4, 6, 3, 2).stride(2, 1).padding(1, 2).dilation(1, 2).groups(2)
                .generator(g).build());
        check(f, "same_odd", Conv2d.builder(2, 3, 3, 5).padding("same").build());
        check(f, "same_even", Conv2d.builder(2, 4, 2, 4).padding("same").groups(2).build());
        check(f, "same_dilated_mixed", Conv2d.builder(3, 3, 2, 3).padding("same").dilation(3, 2).groups(3).build());
        check(f, "valid", Conv2d.builder(2, 2, 3).stride(1, 2).padding("valid").build());
        check(f, "unbatched", Conv2d.builder(3, 2, 3, 2).stride(1, 2).padding(1, 0).build());
        check(f, "unbatched_same", Conv2d.builder(2, 2, 4).padding("same").bias(false).build());
    }

    @Test
    void conv1dBuilderAndUnbatchedInputMatchTorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(ConvShapesGoldenTest.class, "/golden/conv_shapes.txt");
        check(f, "conv1d_unbatched", Conv1d.builder(3, 4, 3).stride(2).padding(1).build());
        check(f, "conv1d_unbatched_same_even", Conv1d.builder(2, 2, 4).padding("same").build());
        check(f, "conv1d_valid", Conv1d.builder(2, 3, 3).padding("valid").build());
    }

    @Test
    void unbatchedOutputDropsTheBatchDimension() throws IOException {
        GoldenFixture f = GoldenFixture.load(ConvShapesGoldenTest.class, "/golden/conv_shapes.txt");
        Conv2d conv = Conv2d.builder(3, 2, 3, 2).stride(1, 2).padding(1, 0).build();
        Tensor x = f.f32("unbatched.x");
        assertArrayEquals(new int[] {3, 5, 6}, x.shape().toArray());
        assertArrayEquals(new int[] {2, 5, 3}, conv.forward(Var.constant(x)).value().shape().toArray());
        assertEquals("Conv2d(3, 2, kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))", conv.toString());
        assertEquals("Conv2d(2, 4, kernel_size=(2, 4), stride=(1, 1), padding=same, groups=2, bias=false)",
                Conv2d.builder(2, 4, 2, 4).padding("same").groups(2).bias(false).build().toString());
    }
}
