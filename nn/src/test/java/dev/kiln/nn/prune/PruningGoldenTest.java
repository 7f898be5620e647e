package dev.kiln.nn.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kiln's masks against the masks {@code torch.nn.utils.prune} computes for the same weights
 * (nn/src/test/python/pruning_fixtures.py): global and per-layer L1 unstructured, and L1/L2
 * structured along dim 0. The fixture's weights have no ties, so the masks must agree exactly.
 */
class PruningGoldenTest {
    private static final List<String> LAYERS = List.of("0", "2", "5", "7");
    static GoldenFixture fixture;

    @BeforeAll
    static void load() throws IOException {
        fixture = GoldenFixture.load(PruningGoldenTest.class, "/golden/pruning.txt");
    }

    /** The fixture's ConvNet, with torch's weights loaded by state-dict name. */
    private static Sequential model() {
        Generator g = new Generator(0);
        Sequential m = new Sequential(Conv2d.builder(1, 4, 3).generator(g).build(), Activation.relu(),
                Conv2d.builder(4, 6, 3).generator(g).build(), Activation.relu(), new Flatten(),
                new Linear(24, 10, true, g), Activation.relu(), new Linear(10, 3, true, g));
        Module.LoadResult r = m.loadStateDict(fixture.stateDict("model."), true);
        assertEquals(List.of(), r.missingKeys());
        return m;
    }

    private static void check(String testCase, Function<Sequential, PruningMasks> prune) {
        PruningMasks masks = prune.apply(model());
        for (String layer : LAYERS) {
            String name = testCase + ".mask." + layer + ".weight";
            float[] expected = fixture.f32(name).toFloatArray();
            float[] actual = masks.masks().get(layer + ".weight").toFloatArray();
            assertArrayEquals(expected, actual, 0f, name);
        }
    }

    @Test
    void globalUnstructuredMatchesTorch() {
        check("global60", m -> MagnitudePruning.globalUnstructured(MagnitudePruning.prunableWeights(m), 0.6));
    }

    @Test
    void layerUnstructuredMatchesTorchIncludingHalfToEvenRounding() {
        check("layer125", m -> MagnitudePruning.layerUnstructured(MagnitudePruning.prunableWeights(m), 0.125));
    }

    @Test
    void l1AndL2ChannelsMatchTorchLnStructured() {
        check("ln1_50", m -> MagnitudePruning.channels(MagnitudePruning.prunableLayers(m), 0.5, MagnitudePruning.Norm.L1));
        check("ln2_34", m -> MagnitudePruning.channels(MagnitudePruning.prunableLayers(m), 0.34, MagnitudePruning.Norm.L2));
    }

    @Test
    void channelPruningAlsoZeroesTheBiasOfEveryRemovedChannel() {
        Sequential m = model();
        Map<String, float[]> before = Map.of("0", m.namedParameters().get("0.bias").value().toFloatArray());
        PruningMasks masks = MagnitudePruning.channels(MagnitudePruning.prunableLayers(m), 0.5, MagnitudePruning.Norm.L1);
        float[] mask = fixture.f32("ln1_50.mask.0.weight").toFloatArray();
        float[] bias = m.namedParameters().get("0.bias").value().toFloatArray();
        int per = mask.length / bias.length;
        for (int c = 0; c < bias.length; c++) {
            assertEquals(mask[c * per] == 0f ? 0f : before.get("0")[c], bias[c], 0f, "0.bias[" + c + "]");
        }
        assertEquals(masks.masks().get("0.bias").numel(), bias.length);
    }
}
