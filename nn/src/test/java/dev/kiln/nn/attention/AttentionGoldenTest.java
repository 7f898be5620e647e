package dev.kiln.nn.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.nn.transformer.DecoderBlock;
import dev.kiln.nn.transformer.TransformerDecoderLayer;
import dev.kiln.nn.transformer.TransformerEncoderLayer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Transformer layers against PyTorch (nn/src/test/python/attention_fixtures.py): the fixture's
 * weights are loaded with loadStateDict (strict, torch's names), then the output, the loss and
 * the gradient of every input and parameter must match to 1e-4 relative.
 */
class AttentionGoldenTest {
    private static final double RTOL = 1e-4;

    private static void checkParameterGrads(GoldenFixture f, Module m, String prefix) {
        Map<String, Var> params = m.namedParameters();
        assertEquals(f.stateDict(prefix).keySet(), params.keySet(), "the fixture's parameter names are the module's");
        for (Map.Entry<String, Var> p : params.entrySet()) {
            f.assertMatches("grad." + prefix + p.getKey(), p.getValue().grad(), RTOL);
        }
    }

    @Test
    void gptBlockWithRopeAndGroupedQueryAttention() throws IOException {
        GoldenFixture f = GoldenFixture.load(AttentionGoldenTest.class, "/golden/gpt_block_rope_gqa.txt");
        Var x = f.param("x");
        int t = x.value().size(1), d = x.value().size(2);
        DecoderBlock block = new DecoderBlock(d, 4, 2, 4 * d, new RotaryEmbedding(d / 4, 64), new Generator(0));
        Module.LoadResult r = block.loadStateDict(f.stateDict("block."), true);
        assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty());
        Var out = block.forward(x, f.bool("pad"), null);
        f.assertMatches("out", out.value(), RTOL);
        Var loss = out.mul(Var.constant(f.f32("weights"))).sum();
        f.assertMatches("loss", loss.value(), RTOL);
        loss.backward();
        f.assertMatches("grad.x", x.grad(), RTOL);
        checkParameterGrads(f, block, "block.");
        assertEquals(6, t);
    }

    @Test
    void encoderDecoderBlockMatchesTorchTransformerLayers() throws IOException {
        GoldenFixture f = GoldenFixture.load(AttentionGoldenTest.class, "/golden/encoder_decoder_block.txt");
        Var src = f.param("src");
        Var tgt = f.param("tgt");
        int d = src.value().size(2);
        TransformerEncoderLayer enc = new TransformerEncoderLayer(d, 4, 2 * d, 0.0, true, new Generator(1));
        TransformerDecoderLayer dec = new TransformerDecoderLayer(d, 4, 2 * d, 0.0, true, new Generator(2));
        enc.loadStateDict(f.stateDict("enc."), true);
        dec.loadStateDict(f.stateDict("dec."), true);
        Tensor srcPad = f.bool("src_pad");
        Var memory = enc.forward(src, srcPad);
        Var out = dec.forward(tgt, memory, null, srcPad);
        f.assertMatches("out", out.value(), RTOL);
        Var loss = out.mul(Var.constant(f.f32("weights"))).sum();
        f.assertMatches("loss", loss.value(), RTOL);
        loss.backward();
        f.assertMatches("grad.src", src.grad(), RTOL);
        f.assertMatches("grad.tgt", tgt.grad(), RTOL);
        checkParameterGrads(f, enc, "enc.");
        checkParameterGrads(f, dec, "dec.");
    }
}
