package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Building layers the torch way: the default generator behind {@code new Linear(in, out)} and the
 * builders ({@link Generator#manualSeed} reproduces them, an explicit generator gives the same
 * numbers), the builders' torch defaults, and their errors for bad settings and bad input.
 */
class LayerConstructionTest {

    @AfterEach
    void restoreDefaultSeed() {
        Generator.manualSeed(Generator.DEFAULT_SEED);
    }

    private static float[] values(Var v) {
        return v.value().toFloatArray();
    }

    @Test
    void sameSeedSameWeightsDifferentSeedDifferentWeights() {
        Generator.manualSeed(3);
        Linear a = new Linear(5, 4);
        Generator.manualSeed(3);
        Linear b = Linear.builder(5, 4).build();
        assertArrayEquals(values(a.weight), values(b.weight));
        assertArrayEquals(values(a.bias), values(b.bias));
        // the default generator after manualSeed(3) is exactly new Generator(3)
        Linear explicit = new Linear(5, 4, true, new Generator(3));
        assertArrayEquals(values(a.weight), values(explicit.weight));
        assertArrayEquals(values(a.bias), values(explicit.bias));
        Generator.manualSeed(4);
        Linear c = new Linear(5, 4);
        assertFalse(Arrays.equals(values(a.weight), values(c.weight)), "a different seed must give different weights");
        // two layers in a row draw successive numbers, not the same ones
        Generator.manualSeed(3);
        new Linear(5, 4);
        assertFalse(Arrays.equals(values(a.weight), values(new Linear(5, 4).weight)));
    }

    @Test
    void biasFalseNeedsNoGenerator() {
        Generator.manualSeed(11);
        Linear noBias = Linear.builder(6, 2).bias(false).build();
        assertNull(noBias.bias);
        assertEquals(1, noBias.namedParameters().size());
        assertArrayEquals(values(new Linear(6, 2, false, new Generator(11)).weight), values(noBias.weight));
        Generator.manualSeed(11);
        assertArrayEquals(values(noBias.weight), values(new Linear(6, 2, false).weight));
        assertEquals("Linear(in_features=6, out_features=2, bias=false)", noBias.toString());

        Generator.manualSeed(12);
        Conv2d conv = Conv2d.builder(2, 3, 3).bias(false).build();
        assertNull(conv.bias);
        assertArrayEquals(values(new Conv2d(2, 3, 3, 1, 0, 1, 1, false, new Generator(12)).weight), values(conv.weight));
        Generator.manualSeed(12);
        assertArrayEquals(values(conv.weight), values(Conv1d.builder(2, 3, 9).bias(false).build().weight),
                "same fan-in (2*9 = 2*3*3) and element count: the same draws");
    }

    @Test
    void buildersHaveTorchsDefaults() {
        Conv2d conv = Conv2d.builder(4, 8, 3).build();
        assertEquals(1, conv.strideH);
        assertEquals(1, conv.strideW);
        assertEquals(0, conv.padH + conv.padW);
        assertEquals(1, conv.dilationH * conv.dilationW);
        assertEquals(1, conv.groups);
        assertTrue(conv.bias != null && !conv.paddingSame());
        assertArrayEquals(new int[] {8, 4, 3, 3}, conv.weight.value().shape().toArray());
        assertEquals("Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1))", conv.toString());
        assertEquals(conv.toString(), new Conv2d(4, 8, 3).toString());
        Conv2d rect = Conv2d.builder(4, 8, 1, 5).groups(4).build();
        assertArrayEquals(new int[] {8, 1, 1, 5}, rect.weight.value().shape().toArray());
        Conv1d c1 = Conv1d.builder(2, 4, 5).build();
        assertEquals("Conv1d(2, 4, kernel_size=(5,), stride=(1,))", c1.toString());
        assertEquals("Conv1d(2, 4, kernel_size=(5,), stride=(1,), padding=valid)",
                Conv1d.builder(2, 4, 5).padding("valid").build().toString());
        // the old positional forms still build the same layers
        assertTrue(Conv2d.same(2, 2, 4, 1, 1, true, new Generator(0)).paddingSame());
        assertTrue(Conv1d.same(2, 2, 4, 1, 1, true, new Generator(0)).paddingSame);
    }

    @Test
    void unbatchedInputMatchesTheBatchOfOne() {
        Generator g = new Generator(5);
        Conv2d conv = Conv2d.builder(3, 4, 2, 3).stride(2, 1).padding(1, 0).generator(g).build();
        Tensor x = Tensor.randn(g, 3, 6, 5);
        Tensor one = conv.forward(Var.constant(x)).value();
        Tensor batch = conv.forward(Var.constant(x.reshape(1, 3, 6, 5))).value();
        assertArrayEquals(new int[] {4, 4, 3}, one.shape().toArray());
        assertArrayEquals(batch.toFloatArray(), one.toFloatArray());
        Conv1d c1 = Conv1d.builder(3, 2, 4).padding("same").generator(g).build();
        Tensor seq = Tensor.randn(g, 3, 7);
        assertArrayEquals(new int[] {2, 7}, c1.forward(Var.constant(seq)).value().shape().toArray());
        assertArrayEquals(c1.forward(Var.constant(seq.reshape(1, 3, 7))).value().toFloatArray(),
                c1.forward(Var.constant(seq)).value().toFloatArray());
    }

    private static void assertMessage(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void badSettingsAndInputAreNamed() {
        assertMessage(() -> Conv2d.builder(2, 2, 3).stride(2, 1).padding("same").build(),
                "padding='same' is not supported for strided convolutions", "stride=(2, 1)");
        assertMessage(() -> Conv1d.builder(2, 2, 3).padding("same").stride(3).build(), "padding='same'", "stride=3");
        assertMessage(() -> Conv2d.builder(2, 2, 3).padding("full"), "\"same\" or \"valid\"", "\"full\"");
        assertMessage(() -> Conv1d.builder(2, 2, 3).padding(null), "\"same\" or \"valid\"", "null");
        assertMessage(() -> Conv2d.builder(2, 2, 3, 0).build(), "kernel_size must be positive", "(3, 0)");
        assertMessage(() -> Conv2d.builder(4, 6, 3).groups(4).build(), "groups (4)", "out_channels (6)");
        assertMessage(() -> Conv2d.builder(2, 2, 3).padding(1, -1).build(), "padding non-negative", "padding=(1, -1)");
        assertMessage(() -> Conv2d.builder(2, 2, 3).dilation(0, 1).build(), "dilation=(0, 1)");
        assertMessage(() -> Conv2d.builder(2, 2, 3).generator(null), "generator must not be null");
        assertMessage(() -> Linear.builder(2, 2).generator(null), "generator must not be null");
        assertMessage(() -> new Linear(2, 2, true, null), "generator must not be null");
        Conv2d conv = Conv2d.builder(3, 2, 3).build();
        assertMessage(() -> conv.forward(Var.constant(Tensor.zeros(2, 5, 5))), "[N, 3, H, W]", "unbatched [3, H, W]",
                "[2, 5, 5]");
        assertMessage(() -> conv.forward(Var.constant(Tensor.zeros(5, 5))), "[N, 3, H, W]", "[5, 5]");
        assertMessage(() -> Conv1d.builder(3, 2, 3).build().forward(Var.constant(Tensor.zeros(4, 5))), "unbatched [3, L]",
                "[4, 5]");
    }
}
