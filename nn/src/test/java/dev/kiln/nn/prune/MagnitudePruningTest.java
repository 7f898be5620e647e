package dev.kiln.nn.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Pruning checked against naive references: a boxed sort of (|w|, layer, index) records for
 * unstructured pruning, per-channel norms summed in loops for structured pruning. The weights are
 * the untouched copies taken before pruning, never the pruned model itself. A pruned negative
 * weight is -0.0 (w * 0, as torch's weight_orig * weight_mask gives), so zeros compare with ==.
 */
class MagnitudePruningTest {
    /** A small ConvNet: conv 1→4 (3×3), conv 4→6 (3×3), linear 6·4·4→10, linear 10→3. */
    private static Sequential model(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(Conv2d.builder(1, 4, 3).generator(g).build(), Activation.relu(),
                Conv2d.builder(4, 6, 3).generator(g).build(), Activation.relu(), new Flatten(),
                new Linear(6 * 4 * 4, 10, true, g), Activation.relu(), new Linear(10, 3, true, g));
    }

    private static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, v.value().toFloatArray()));
        return out;
    }

    private static int zeros(float[] v) {
        int n = 0;
        for (float x : v) {
            n += x == 0f ? 1 : 0;
        }
        return n;
    }

    /** One weight entry of the naive reference. */
    private record Entry(String name, int index, double magnitude) {}

    /** The k entries with the smallest |w| by a boxed sort (ties: layer order, then index). */
    private static Set<String> naiveSmallest(Map<String, float[]> weights, int k) {
        List<Entry> all = new ArrayList<>();
        for (Map.Entry<String, float[]> e : weights.entrySet()) {
            for (int i = 0; i < e.getValue().length; i++) {
                all.add(new Entry(e.getKey(), i, Math.abs(e.getValue()[i])));
            }
        }
        all.sort(Comparator.comparingDouble(Entry::magnitude)); // stable: ties keep their order
        Set<String> out = new HashSet<>();
        for (Entry e : all.subList(0, k)) {
            out.add(e.name() + "#" + e.index());
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.5, 0.7, 0.9, 1.0})
    void globalPruningRemovesExactlyTheSmallestWeightsOfAllLayers(double sparsity) {
        Sequential m = model(1);
        Map<String, Var> weights = MagnitudePruning.prunableWeights(m);
        assertEquals(List.of("0.weight", "2.weight", "5.weight", "7.weight"), List.copyOf(weights.keySet()));
        Map<String, float[]> before = new LinkedHashMap<>();
        weights.forEach((k, v) -> before.put(k, v.value().toFloatArray()));
        Map<String, float[]> biasesBefore = snapshot(m);
        int total = before.values().stream().mapToInt(a -> a.length).sum();
        int k = (int) Math.rint(sparsity * total);

        PruningMasks masks = MagnitudePruning.globalUnstructured(weights, sparsity);

        Set<String> expected = naiveSmallest(before, k);
        int zeroCount = 0;
        for (Map.Entry<String, float[]> e : before.entrySet()) {
            float[] after = weights.get(e.getKey()).value().toFloatArray();
            zeroCount += zeros(after);
            for (int i = 0; i < after.length; i++) {
                boolean removed = expected.contains(e.getKey() + "#" + i);
                assertEquals(removed ? 0f : e.getValue()[i], after[i], 0f, e.getKey() + "[" + i + "]");
            }
        }
        assertEquals(k, zeroCount, "zeros after pruning " + sparsity + " of " + total);
        assertEquals(k, masks.prunedCount());
        assertEquals(total, masks.totalCount());
        for (String bias : List.of("0.bias", "2.bias", "5.bias", "7.bias")) {
            assertArrayEquals(biasesBefore.get(bias), m.namedParameters().get(bias).value().toFloatArray(), bias + " is not pruned");
        }
    }

    @Test
    void globalPruningTakesMoreFromLayersWithSmallerWeights() {
        Linear small = new Linear(8, 8, false, new Generator(2));
        Linear large = new Linear(8, 8, false, new Generator(3));
        large.weight.value().copyFrom(large.weight.value().mul(100));
        Map<String, Var> w = new LinkedHashMap<>();
        w.put("small", small.weight);
        w.put("large", large.weight);
        MagnitudePruning.globalUnstructured(w, 0.5);
        assertEquals(64, zeros(small.weight.value().toFloatArray()), "all of the 100x smaller layer goes first");
        assertEquals(0, zeros(large.weight.value().toFloatArray()));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.3, 0.5, 0.9})
    void layerPruningRemovesTheSameFractionOfEveryLayer(double sparsity) {
        Sequential m = model(4);
        Map<String, Var> weights = MagnitudePruning.prunableWeights(m);
        Map<String, float[]> before = new LinkedHashMap<>();
        weights.forEach((k, v) -> before.put(k, v.value().toFloatArray()));
        MagnitudePruning.layerUnstructured(weights, sparsity);
        for (Map.Entry<String, float[]> e : before.entrySet()) {
            int k = (int) Math.rint(sparsity * e.getValue().length);
            Set<String> expected = naiveSmallest(Map.of(e.getKey(), e.getValue()), k);
            float[] after = weights.get(e.getKey()).value().toFloatArray();
            assertEquals(k, zeros(after), e.getKey());
            for (int i = 0; i < after.length; i++) {
                assertEquals(expected.contains(e.getKey() + "#" + i) ? 0f : e.getValue()[i], after[i], 0f, e.getKey() + "[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"L1", "L2"})
    void channelPruningZeroesTheOutputChannelsWithTheSmallestNorm(String normName) {
        MagnitudePruning.Norm norm = MagnitudePruning.Norm.valueOf(normName);
        Sequential m = model(5);
        Map<String, float[]> before = snapshot(m);
        Map<String, Module> layers = MagnitudePruning.prunableLayers(m);
        assertEquals(List.of("0", "2", "5", "7"), List.copyOf(layers.keySet()));
        double sparsity = 0.5;
        PruningMasks masks = MagnitudePruning.channels(layers, sparsity, norm);
        Map<String, float[]> after = snapshot(m);
        long prunedEntries = 0;
        for (String layer : layers.keySet()) {
            float[] w = before.get(layer + ".weight");
            float[] b = before.get(layer + ".bias");
            int channels = b.length;
            int per = w.length / channels;
            List<double[]> byNorm = new ArrayList<>(); // {norm, channel}
            for (int c = 0; c < channels; c++) {
                double s = 0;
                for (int i = 0; i < per; i++) {
                    double x = w[c * per + i];
                    s += norm == MagnitudePruning.Norm.L1 ? Math.abs(x) : x * x;
                }
                byNorm.add(new double[] {s, c});
            }
            byNorm.sort(Comparator.comparingDouble(a -> a[0]));
            int k = (int) Math.rint(sparsity * channels);
            Set<Integer> removed = new HashSet<>();
            for (double[] nc : byNorm.subList(0, k)) {
                removed.add((int) nc[1]);
            }
            for (int c = 0; c < channels; c++) {
                boolean gone = removed.contains(c);
                assertEquals(gone ? 0f : b[c], after.get(layer + ".bias")[c], 0f, layer + ".bias[" + c + "]");
                for (int i = 0; i < per; i++) {
                    assertEquals(gone ? 0f : w[c * per + i], after.get(layer + ".weight")[c * per + i], 0f,
                            layer + ".weight[" + c + "][" + i + "]");
                }
            }
            prunedEntries += (long) k * (per + 1);
        }
        assertEquals(prunedEntries, masks.prunedCount());
    }

    @Test
    void applyRestoresZerosAndMaskGradientsZeroesTheirGradients() {
        Linear l = new Linear(6, 5, true, new Generator(7));
        PruningMasks masks = MagnitudePruning.layerUnstructured(Map.of("weight", l.weight), 0.6);
        float[] mask = masks.masks().get("weight").toFloatArray();
        l.weight.value().copyFrom(l.weight.value().add(1)); // an optimizer step moves every weight
        masks.apply();
        float[] w = l.weight.value().toFloatArray();
        for (int i = 0; i < w.length; i++) {
            assertTrue(mask[i] == 1f || w[i] == 0f, "pruned weight " + i + " is zero again, got " + w[i]);
        }
        Var x = Var.constant(Tensor.randn(new Generator(8), 3, 6));
        l.forward(x).sum().backward(Tensor.scalar(1));
        masks.maskGradients();
        float[] g = l.weight.grad().toFloatArray();
        for (int i = 0; i < g.length; i++) {
            assertTrue(mask[i] == 1f ? g[i] != 0f : g[i] == 0f, "gradient " + i + ": mask " + mask[i] + ", grad " + g[i]);
        }
    }

    @Test
    void badArgumentsNameTheArgumentAndTheValue() {
        Linear l = new Linear(2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MagnitudePruning.globalUnstructured(Map.of("w", l.weight), 1.5));
        assertTrue(e.getMessage().contains("amount") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MagnitudePruning.layerUnstructured(Map.of(), 0.5));
        assertTrue(e.getMessage().contains("weights"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MagnitudePruning.channels(Map.of("act", Activation.relu()), 0.5, MagnitudePruning.Norm.L1));
        assertTrue(e.getMessage().contains("\"act\"") && e.getMessage().contains("Linear"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MagnitudePruning.channels(Map.of("l", l), Double.NaN, MagnitudePruning.Norm.L1));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }
}
