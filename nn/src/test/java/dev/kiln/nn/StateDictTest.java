package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * State-dict keys, prefixes and loading checked against what torch 1.13 does with the same model
 * and checkpoints ({@code golden/state_dict_keys.txt}, written by {@code state_dict_fixtures.py}):
 * the keys of {@code state_dict()} and {@code state_dict(prefix=)}, the missing and unexpected keys
 * of a non-strict load, strict and shape-mismatch errors, None values, and
 * {@code consume_prefix_in_state_dict_if_present}.
 */
class StateDictTest {
    private static Map<String, List<String>> torch;

    /** The fixture's {@code name: key key ...} lines. */
    private static List<String> torch(String name) throws IOException {
        if (torch == null) {
            Map<String, List<String>> lines = new LinkedHashMap<>();
            try (InputStream in = StateDictTest.class.getResourceAsStream("/golden/state_dict_keys.txt")) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    int colon = line.indexOf(':');
                    String rest = line.substring(colon + 1).strip();
                    lines.put(line.substring(0, colon), rest.isEmpty() ? List.of() : Arrays.asList(rest.split(" ")));
                }
            }
            torch = lines;
        }
        List<String> v = torch.get(name);
        if (v == null) {
            throw new IllegalArgumentException("state_dict_keys.txt has no line '" + name + "'; it has " + torch.keySet());
        }
        return v;
    }

    /** torch's {@code nn.Sequential(Linear(3, 4), BatchNorm1d(4), Linear(4, 2))}. */
    private static Sequential model() {
        Generator g = new Generator(1);
        return new Sequential(new Linear(3, 4, true, g), new BatchNorm1d(4), new Linear(4, 2, true, g));
    }

    /** A checkpoint with exactly the keys of fixture line {@code name}, values from {@code source} (zeros otherwise). */
    private static Map<String, Tensor> checkpoint(List<String> keys, Map<String, Tensor> source) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : keys) {
            Tensor t = source.get(k);
            out.put(k, t != null ? t : Tensor.zeros(1));
        }
        return out;
    }

    @Test
    void keysAndPrefixedKeysAreTorchs() throws IOException {
        Sequential m = model();
        assertEquals(torch("state_dict"), List.copyOf(m.stateDict().keySet()));
        assertEquals(torch("state_dict_prefix_enc"), List.copyOf(m.stateDict("enc.").keySet()));
        assertSame(m.stateDict().get("0.weight"), m.stateDict("enc.").get("enc.0.weight"), "values are not copied");
    }

    @Test
    void nonStrictLoadReportsTheKeysTorchReports() throws IOException {
        Sequential source = model();
        Map<String, Tensor> partial = checkpoint(torch("partial_input"), source.stateDict());
        Sequential m = model();
        Module.LoadResult r = m.loadStateDict(partial, false);
        assertEquals(torch("nonstrict_missing"), r.missingKeys());
        // torch gathers unexpected keys module by module; the set is the contract
        assertEquals(new HashSet<>(torch("nonstrict_unexpected")), new HashSet<>(r.unexpectedKeys()));

        assertEquals(List.of("yes"), torch("strict_raises"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model().loadStateDict(partial, true));
        for (String key : torch("strict_error_mentions")) {
            assertTrue(e.getMessage().contains(key), "strict error lacks '" + key + "': " + e.getMessage());
        }
    }

    @Test
    void shapeMismatchFailsEvenWhenNotStrict() throws IOException {
        assertEquals(List.of("yes"), torch("nonstrict_shape_mismatch_raises"));
        Map<String, Tensor> bad = new LinkedHashMap<>(model().stateDict());
        bad.put("0.weight", Tensor.zeros(4, 5));
        Sequential m = model();
        float[] before = m.stateDict().get("2.weight").toFloatArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(bad, false));
        assertTrue(e.getMessage().contains("'0.weight'") && e.getMessage().contains("[4, 5]"), e.getMessage());
        assertArrayEquals(before, m.stateDict().get("2.weight").toFloatArray(), "nothing may change on failure");
    }

    @Test
    void nullValueIsAnErrorNamingTheKey() throws IOException {
        assertEquals(List.of("yes", "2.weight"), torch("none_value_raises"));
        Map<String, Tensor> withNull = new LinkedHashMap<>(model().stateDict());
        withNull.put("2.weight", null);
        for (boolean strict : new boolean[] {false, true}) {
            Sequential m = model();
            float[] before = m.stateDict().get("0.weight").toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(withNull, strict));
            assertTrue(e.getMessage().contains("null") && e.getMessage().contains("2.weight"), e.getMessage());
            assertArrayEquals(before, m.stateDict().get("0.weight").toFloatArray(), "nothing may change on failure");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model().loadStateDict(null, true));
        assertTrue(e.getMessage().contains("state must not be null"), e.getMessage());
    }

    @Test
    void stripPrefixIsConsumePrefixInStateDictIfPresent() throws IOException {
        Sequential source = model();
        Map<String, Tensor> wrapped = checkpoint(torch("wrapped_input"), StateDicts.addPrefix(source.stateDict(), "module."));
        Map<String, Tensor> stripped = StateDicts.stripPrefix(wrapped, "module.");
        assertEquals(torch("consumed_sorted"), stripped.keySet().stream().sorted().toList());
        assertEquals(torch("wrapped_input").size(), wrapped.size(), "the argument is left as it was");
        stripped.remove("head.weight");
        Sequential m = model();
        Module.LoadResult r = m.loadStateDict(stripped, true);
        assertEquals(torch("consumed_loads_strict_missing"), r.missingKeys());
        assertArrayEquals(source.stateDict().get("2.weight").toFloatArray(), m.stateDict().get("2.weight").toFloatArray());
        // addPrefix then stripPrefix is the identity, order included
        Map<String, Tensor> sd = source.stateDict();
        assertEquals(List.copyOf(sd.keySet()),
                List.copyOf(StateDicts.stripPrefix(StateDicts.addPrefix(sd, "enc."), "enc.").keySet()));
    }

    @Test
    void prefixHelpersRejectBadInput() {
        Map<String, Tensor> clash = new LinkedHashMap<>();
        clash.put("module.w", Tensor.zeros(1));
        clash.put("w", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDicts.stripPrefix(clash, "module."));
        assertTrue(e.getMessage().contains("'module.w'") && e.getMessage().contains("'w'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StateDicts.addPrefix(clash, null));
        assertTrue(e.getMessage().contains("prefix must not be null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StateDicts.stripPrefix(null, "module."));
        assertTrue(e.getMessage().contains("state must not be null"), e.getMessage());
    }
}
