package dev.kiln.nn.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MultiheadAttention against torch.nn.MultiheadAttention (the mha_*.txt fixtures of
 * nn/src/test/python/attention_fixtures.py): torch's parameter names and shapes, then the output,
 * the attention weights, the loss {@code sum(out * w_out) + sum(weights * w_attn)} and the
 * gradient of every input and parameter, all in F32 against torch's float64 results. Each case
 * also runs without weights, which takes the fused kernel where the masks allow it.
 */
class MultiheadAttentionGoldenTest {
    // F32 against float64: the worst element seen is 9.4e-6 (in_proj_bias gradients, sums over every position)
    private static final double RTOL = 2e-5;
    private static final MultiheadAttentionOptions DEFAULTS = MultiheadAttentionOptions.defaults();

    @Test
    void noBiasBatchFirstBoolMask2d() throws IOException {
        replay("mha_no_bias_bool_mask_2d.txt", DEFAULTS.bias(false).batchFirst(true), false, true, false, true);
    }

    @Test
    void sequenceFirstBoolMask3dPerHeadWeights() throws IOException {
        replay("mha_bool_mask_3d_per_head.txt", DEFAULTS, false, true, false, false);
    }

    @Test
    void selfAttentionFloatMaskWithBoolPadding() throws IOException {
        replay("mha_float_mask_with_padding.txt", DEFAULTS, true, true, true, true);
    }

    @Test
    void floatKeyPaddingMaskPerHeadWeights() throws IOException {
        replay("mha_float_padding_batch_first.txt", DEFAULTS.batchFirst(true), false, false, true, false);
    }

    @Test
    void separateKeyValueDimsWithBiasKvAndZeroAttention() throws IOException {
        MultiheadAttention mha = replay("mha_kdim_vdim_bias_kv_zero_attn.txt",
                DEFAULTS.kdim(5).vdim(6).addBiasKv(true).addZeroAttn(true).batchFirst(true), false, true, true, true);
        assertNull(mha.inProjWeight);
        assertEquals("  embed_dim=8, num_heads=2, add_bias_kv=True, add_zero_attn=True, kdim=5, vdim=6, "
                + "batch_first=True", mha.toString().lines().skip(1).findFirst().orElseThrow());
    }

    @Test
    void unbatchedInputFloatMask3dPerHead() throws IOException {
        replay("mha_unbatched.txt", DEFAULTS, false, true, true, false);
    }

    @Test
    void causalSelfAttentionWithPadding() throws IOException {
        // torch 1.13 has no is_causal, so the fixture passes the causal mask as a bool attn_mask
        MultiheadAttention mha = replay("mha_causal_padding.txt", DEFAULTS.batchFirst(true), true, true, true, true);
        // the same through isCausal: op by op with weights, the fused kernel without
        GoldenFixture f = GoldenFixture.load(MultiheadAttentionGoldenTest.class, "/golden/mha_causal_padding.txt");
        Var x = Var.constant(f.f32("x"));
        AttentionArgs causal = AttentionArgs.defaults().isCausal(true).keyPaddingMask(f.bool("key_padding_mask"));
        try (NoGrad _ = NoGrad.enter()) {
            AttentionOutput r = mha.forward(x, x, x, causal);
            f.assertMatches("out", r.output().value(), RTOL);
            f.assertMatches("weights", r.weights().value(), RTOL);
            f.assertMatches("out", mha.forward(x, x, x, true, f.bool("key_padding_mask")).value(), RTOL);
        }
    }

    /**
     * @param selfAttention the fixture has one input "x" used as query, key and value
     * @param averaged the fixture's weights are averaged over heads
     */
    private static MultiheadAttention replay(String file, MultiheadAttentionOptions options, boolean selfAttention,
            boolean hasAttnMask, boolean hasKeyPadding, boolean averaged) throws IOException {
        String resource = "/golden/" + file;
        GoldenFixture f = GoldenFixture.load(MultiheadAttentionGoldenTest.class, resource);
        MultiheadAttention mha = new MultiheadAttention(8, 2, options, new Generator(7));
        Map<String, String> torchKeys = stateDictKeys(resource);
        Map<String, String> ours = new LinkedHashMap<>();
        mha.stateDict().forEach((k, v) -> ours.put(k, shapeText(v)));
        assertEquals(List.copyOf(torchKeys.entrySet()), List.copyOf(ours.entrySet()),
                "parameter names and shapes, in order, must be torch's");
        Map<String, Tensor> state = new LinkedHashMap<>();
        torchKeys.keySet().forEach(k -> state.put(k, f.f32(k)));
        Module.LoadResult lr = mha.loadStateDict(state, true);
        assertEquals(List.of(), lr.missingKeys());

        Map<String, Var> inputs = new LinkedHashMap<>();
        for (String name : selfAttention ? List.of("x") : List.of("query", "key", "value")) {
            inputs.put(name, f.param(name));
        }
        Var q = inputs.get(selfAttention ? "x" : "query");
        Var k = inputs.get(selfAttention ? "x" : "key");
        Var v = inputs.get(selfAttention ? "x" : "value");
        AttentionArgs args = AttentionArgs.defaults().averageAttnWeights(averaged)
                .attnMask(hasAttnMask ? mask(f, "attn_mask") : null)
                .keyPaddingMask(hasKeyPadding ? mask(f, "key_padding_mask") : null);
        AttentionOutput r = mha.forward(q, k, v, args);
        f.assertMatches("out", r.output().value(), RTOL);
        f.assertMatches("weights", r.weights().value(), RTOL);
        Var loss = r.output().mul(Var.constant(f.f32("w_out"))).sum()
                .add(r.weights().mul(Var.constant(f.f32("w_attn"))).sum());
        f.assertMatches("loss", loss.value(), RTOL);
        loss.backward();
        for (Map.Entry<String, Var> in : inputs.entrySet()) {
            f.assertMatches("grad." + in.getKey(), in.getValue().grad(), RTOL);
        }
        for (Map.Entry<String, Var> p : mha.namedParameters().entrySet()) {
            assertNotNull(p.getValue().grad(), p.getKey() + " got no gradient");
            f.assertMatches("grad." + p.getKey(), p.getValue().grad(), RTOL);
        }

        try (NoGrad _ = NoGrad.enter()) {
            AttentionOutput noWeights = mha.forward(q, k, v, args.needWeights(false));
            assertNull(noWeights.weights());
            f.assertMatches("out", noWeights.output().value(), RTOL);
        }
        return mha;
    }

    /** A bool mask is stored as i64 0/1, an additive one as f32. */
    private static Tensor mask(GoldenFixture f, String name) {
        return f.entry(name).dtype().equals("i64") ? f.bool(name) : f.f32(name);
    }

    // "# state_dict_keys: name:AxB ..." written by the fixture script from torch's module.state_dict()
    private static Map<String, String> stateDictKeys(String resource) throws IOException {
        String text;
        try (InputStream in = MultiheadAttentionGoldenTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource);
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String prefix = "# state_dict_keys: ";
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                for (String item : line.substring(prefix.length()).strip().split(" ")) {
                    int colon = item.indexOf(':');
                    keys.put(item.substring(0, colon), item.substring(colon + 1));
                }
            }
        }
        return keys;
    }

    private static String shapeText(Tensor t) {
        StringBuilder b = new StringBuilder();
        for (int d : t.shape().toArray()) {
            b.append(b.isEmpty() ? "" : "x").append(d);
        }
        return b.toString();
    }
}
