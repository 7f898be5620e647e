package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The module system: names, traversal, modes, state dicts and printing. */
class ModuleTest {

    /** A two-level model with a buffer, to exercise dotted names. */
    static final class Block extends UnaryModule {
        final Linear fc;
        final LayerNorm norm;

        Block(Generator g) {
            fc = registerModule("fc", new Linear(4, 4, true, g));
            norm = registerModule("norm", new LayerNorm(4));
            registerBuffer("steps", Tensor.zeros(1));
        }

        @Override
        public Var forward(Var x) {
            return norm.forward(fc.forward(x)).relu();
        }
    }

    private static Sequential model() {
        Generator g = new Generator(1);
        return new Sequential(new Linear(3, 4, true, g), Activation.relu(), new Block(g), new Linear(4, 2, false, g));
    }

    @Test
    void namesAreDottedAndInRegistrationOrder() {
        Sequential m = model();
        assertEquals(List.of("0.weight", "0.bias", "2.fc.weight", "2.fc.bias", "2.norm.weight", "2.norm.bias", "3.weight"),
                new ArrayList<>(m.namedParameters().keySet()));
        assertEquals(List.of("2.steps"), new ArrayList<>(m.namedBuffers().keySet()));
        assertEquals(3 * 4 + 4 + 16 + 4 + 4 + 4 + 8, m.parameterCount());
        assertEquals(7, m.parameters().size());
        assertTrue(m.parameters().stream().allMatch(Var::requiresGrad));
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        Sequential m = model();
        List<Module> all = new ArrayList<>();
        m.eval().apply(all::add);
        assertEquals(7, all.size()); // the root, its 4 layers, Block's 2 children
        assertTrue(all.stream().noneMatch(Module::isTraining));
        m.train();
        assertTrue(all.stream().allMatch(Module::isTraining));
        assertSame(m, all.get(all.size() - 1), "apply visits children before their parent");
    }

    @Test
    void stateDictRoundTripsIntoAFreshModelInPlace() {
        Sequential a = model();
        Sequential b = new Sequential(new Linear(3, 4, true, new Generator(7)), Activation.relu(),
                new Block(new Generator(8)), new Linear(4, 2, false, new Generator(9)));
        Tensor bWeightBefore = b.namedParameters().get("0.weight").value();
        Module.LoadResult r = b.loadStateDict(a.stateDict(), true);
        assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty());
        assertSame(bWeightBefore, b.namedParameters().get("0.weight").value(), "loading copies in place");
        for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toFloatArray(), b.stateDict().get(e.getKey()).toFloatArray(), e.getKey());
        }
        try (Tensor x = Tensor.randn(new Generator(3), 5, 3)) {
            assertArrayEquals(a.forward(Var.constant(x)).value().toFloatArray(), b.forward(Var.constant(x)).value().toFloatArray());
        }
    }

    @Test
    void strictLoadNamesMissingUnexpectedAndMisshapenKeysAndChangesNothing() {
        Sequential m = model();
        Map<String, Tensor> state = new LinkedHashMap<>(model().stateDict());
        state.remove("2.fc.bias");
        state.put("extra.weight", Tensor.zeros(1));
        float[] before = m.stateDict().get("0.weight").toFloatArray();
        state.put("0.weight", Tensor.zeros(4, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(state, true));
        assertTrue(e.getMessage().contains("missing keys [2.fc.bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected keys [extra.weight]"), e.getMessage());
        assertTrue(e.getMessage().contains("'0.weight' has shape [4, 4] in the state dict but [4, 3] in the model"), e.getMessage());
        assertArrayEquals(before, m.stateDict().get("0.weight").toFloatArray(), "a failed load modifies nothing");

        state.put("0.weight", Tensor.zeros(4, 3));
        Module.LoadResult r = m.loadStateDict(state, false);
        assertEquals(List.of("2.fc.bias"), r.missingKeys());
        assertEquals(List.of("extra.weight"), r.unexpectedKeys());
        assertArrayEquals(new float[12], m.stateDict().get("0.weight").toFloatArray());
    }

    @Test
    void toStringIsATreeLikePytorch() {
        String want = """
                Sequential(
                  (0): Linear(in_features=3, out_features=4, bias=true)
                  (1): ReLU()
                  (2): Block(
                    (fc): Linear(in_features=4, out_features=4, bias=true)
                    (norm): LayerNorm((4,), eps=1.0E-5, elementwise_affine=true)
                  )
                  (3): Linear(in_features=4, out_features=2, bias=false)
                )""";
        assertEquals(want, model().toString());
    }

    @Test
    void namesAreValidated() {
        Module m = new Module() {
            {
                registerParameter("w", Tensor.zeros(1));
                IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> registerBuffer("w", Tensor.zeros(1)));
                assertTrue(dup.getMessage().contains("already registered"), dup.getMessage());
                IllegalArgumentException dot = assertThrows(IllegalArgumentException.class, () -> registerParameter("a.b", Tensor.zeros(1)));
                assertTrue(dot.getMessage().contains("'a.b'"), dot.getMessage());
            }
        };
        assertEquals(1, m.parameterCount());
    }

    @Test
    void zeroGradClearsEveryParameter() {
        Sequential m = model();
        try (Tensor x = Tensor.randn(new Generator(4), 2, 3)) {
            m.forward(Var.constant(x)).sum().backward();
        }
        assertTrue(m.parameters().stream().allMatch(p -> p.grad() != null));
        m.zeroGrad();
        for (Var p : m.parameters()) {
            assertNull(p.grad());
        }
        assertFalse(m.parameters().isEmpty());
    }
}
