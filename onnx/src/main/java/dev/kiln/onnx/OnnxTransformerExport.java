package dev.kiln.onnx;

import static dev.kiln.onnx.OnnxGraph.attr;

import dev.kiln.nn.Embedding;
import dev.kiln.nn.attention.MultiheadAttention;
import dev.kiln.nn.attention.RotaryEmbedding;
import dev.kiln.nn.attention.SelfAttention;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.transformer.DecoderBlock;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.nn.transformer.TransformerEncoderLayer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx.ModelProto;
import onnx.Onnx.TensorProto;

/**
 * The token models as ONNX graphs (opset 17, inference: dropout off, no KV cache), with the batch
 * and sequence dims dynamic: {@link TransformerClassifier} (ids → class logits) and {@link Gpt}
 * (ids → next-token logits at every position). Attention is written out as MatMul, Softmax,
 * Reshape and Transpose; masked scores are set to -inf with Where, as Kiln's reference attention
 * does with maskedFill. Both graphs read "input_ids" INT64 [batch, sequence] (sequence at most the
 * model's maximum length; longer inputs fail in the runtime, at the position-table Slice's
 * broadcast) and write "logits" F32. Stateless and thread-safe; the model is only read.
 */
public final class OnnxTransformerExport {
    /** The graph input: token ids, INT64 [batch, sequence]. */
    public static final String INPUT = "input_ids";
    /** The graph output: F32 logits. */
    public static final String OUTPUT = "logits";

    private OnnxTransformerExport() {}

    /**
     * {@link TransformerClassifier#forward}: ids [batch, sequence] (padding = {@link
     * TransformerClassifier#PAD}) → logits [batch, classes]. Padding keys are masked in every
     * layer and left out of the mean pooling; a row of padding only gives NaN, as in Kiln.
     */
    public static ModelProto classifier(String name, TransformerClassifier m, Map<String, String> metadata) {
        OnnxGraph g = new OnnxGraph(name);
        String ids = g.input(INPUT, TensorProto.DataType.INT64, "batch", "sequence");
        try (TensorScope _ = TensorScope.open()) {
            String seqLen = g.node("Shape", List.of(ids), attr("start", 1L), attr("end", 2L)); // [1]: T
            String x = g.node("Add", List.of(embed(g, m.tokenEmbedding(), ids), rows(g, m.positionEmbedding().weight.value(), seqLen)));
            String pad = g.longs("pad_id", TransformerClassifier.PAD);
            String padding = g.node("Unsqueeze", List.of(g.node("Equal", List.of(ids, pad)), g.longs("axes", 1, 2))); // [B, 1, 1, T]
            for (TransformerEncoderLayer layer : m.layers()) {
                x = encoderLayer(g, layer, x, padding);
            }
            String h = OnnxExport.layerNorm(g, m.norm(), x); // [B, T, d]
            String keep = g.node("Cast", List.of(g.node("Greater", List.of(ids, pad))),
                    attr("to", (long) TensorProto.DataType.FLOAT.getNumber()));
            keep = g.node("Unsqueeze", List.of(keep, g.longs("axes", 2))); // [B, T, 1]
            String time = g.longs("time_axis", 1);
            String summed = g.node("ReduceSum", List.of(g.node("Mul", List.of(h, keep)), time), attr("keepdims", 0L));
            String counts = g.node("ReduceSum", List.of(keep, time), attr("keepdims", 0L)); // [B, 1]
            String logits = OnnxExport.linear(g, m.head(), g.node("Div", List.of(summed, counts)));
            g.output(logits, OUTPUT, TensorProto.DataType.FLOAT, "batch", m.config.classes());
        }
        return g.toModel(withMaxLength(metadata, m.config.maxLen()));
    }

    /**
     * {@link Gpt#forward(Tensor)} without KV cache: ids [batch, sequence] → logits [batch,
     * sequence, vocab], causal, with learned or rotary positions, grouped-query attention and
     * tied or separate LM head (a tied head reads the token table through a Transpose, so the
     * file holds it once).
     */
    public static ModelProto gpt(String name, Gpt m, Map<String, String> metadata) {
        OnnxGraph g = new OnnxGraph(name);
        String ids = g.input(INPUT, TensorProto.DataType.INT64, "batch", "sequence");
        try (TensorScope _ = TensorScope.open()) {
            String seqLen = g.node("Shape", List.of(ids), attr("start", 1L), attr("end", 2L));
            String table = g.initializer("wte_weight", m.wte.weight.value());
            String x = g.node("Gather", List.of(table, ids), attr("axis", 0L));
            if (m.wpe != null) {
                x = g.node("Add", List.of(x, rows(g, m.wpe.weight.value(), seqLen)));
            }
            String causal = causalMask(g, m.config.maxSeqLen(), seqLen);
            RotaryEmbedding rope = m.blocks.size() == 0 ? null : m.blocks.get(0).attn.rope(); // the blocks share one
            Rotation rotation = rope == null ? null : rotation(g, rope, seqLen);
            for (DecoderBlock block : m.blocks) {
                x = decoderBlock(g, block, x, causal, rotation);
            }
            x = OnnxExport.layerNorm(g, m.lnF, x);
            String logits = m.lmHead != null ? OnnxExport.linear(g, m.lmHead, x)
                    : g.node("MatMul", List.of(x, g.node("Transpose", List.of(table), attr("perm", 1L, 0L))));
            g.output(logits, OUTPUT, TensorProto.DataType.FLOAT, "batch", "sequence", m.config.vocabSize());
        }
        return g.toModel(withMaxLength(metadata, m.config.maxSeqLen()));
    }

    private static Map<String, String> withMaxLength(Map<String, String> metadata, int maxLength) {
        Map<String, String> props = new LinkedHashMap<>(metadata);
        props.put("max_sequence_length", Integer.toString(maxLength));
        return props;
    }

    /** Embedding lookup: Gather along the table's rows. */
    private static String embed(OnnxGraph g, Embedding e, String ids) {
        return g.node("Gather", List.of(g.initializer("embedding_weight", e.weight.value()), ids), attr("axis", 0L));
    }

    /** The first T rows of a per-position table [maxLen, ...] (T = seqLen, an INT64 [1]): positions 0 .. T-1. */
    private static String rows(OnnxGraph g, Tensor table, String seqLen) {
        return g.node("Slice", List.of(g.initializer("position_table", table), g.longs("zero", 0), seqLen, g.longs("axes", 0)));
    }

    /** BOOL [T, T], true where key j lies after query i (j > i): the keys a causal query must not see. */
    private static String causalMask(OnnxGraph g, int maxLen, String seqLen) {
        long[] all = new long[maxLen];
        for (int i = 0; i < maxLen; i++) {
            all[i] = i;
        }
        String positions = g.node("Slice", List.of(g.longs("positions", all), g.longs("zero", 0), seqLen, g.longs("axes", 0)));
        String queries = g.node("Unsqueeze", List.of(positions, g.longs("axes", 1))); // [T, 1]
        return g.node("Greater", List.of(positions, queries));
    }

    /** Pre-norm {@link TransformerEncoderLayer#forward}: x + attn(norm1(x)), then x + linear2(act(linear1(norm2(x)))). */
    private static String encoderLayer(OnnxGraph g, TransformerEncoderLayer l, String x, String padding) {
        MultiheadAttention a = l.selfAttn;
        if (a.inProjWeight == null || a.biasK != null || a.options.addZeroAttn()) {
            throw new IllegalArgumentException("ONNX export: MultiheadAttention needs a packed in_proj_weight and no bias_k/v or"
                    + " zero attention, got " + a);
        }
        int e = a.embedDim;
        String h = OnnxExport.layerNorm(g, l.norm1, x);
        Tensor w = a.inProjWeight.value();
        Tensor b = a.inProjBias == null ? null : a.inProjBias.value();
        String[] qkv = new String[3];
        for (int i = 0; i < 3; i++) {
            qkv[i] = OnnxExport.linear(g, w.narrow(0, i * e, e), b == null ? null : b.narrow(0, i * e, e), h);
        }
        String y = attention(g, qkv[0], qkv[1], qkv[2], a.numHeads, a.numHeads, e / a.numHeads, null, List.of(padding));
        x = g.node("Add", List.of(x, OnnxExport.linear(g, a.outProj, y)));
        String f = OnnxExport.linear(g, l.linear1, OnnxExport.layerNorm(g, l.norm2, x));
        f = l.usesGelu() ? OnnxExport.gelu(g, f) : g.node("Relu", List.of(f));
        return g.node("Add", List.of(x, OnnxExport.linear(g, l.linear2, f)));
    }

    /** {@link DecoderBlock#forward} without cache: h = x + attn(ln_1(x)), then h + mlp(ln_2(h)), the MLP with exact GELU. */
    private static String decoderBlock(OnnxGraph g, DecoderBlock block, String x, String causal, Rotation rotation) {
        SelfAttention a = block.attn;
        String n = OnnxExport.layerNorm(g, block.ln1, x);
        String q = OnnxExport.linear(g, a.qProj, n);
        String k = OnnxExport.linear(g, a.kProj, n);
        String v = OnnxExport.linear(g, a.vProj, n);
        List<String> masks = a.causal ? List.of(causal) : List.of();
        String y = attention(g, q, k, v, a.nHeads, a.nKvHeads, a.headDim, a.rope() == null ? null : rotation, masks);
        String h = g.node("Add", List.of(x, OnnxExport.linear(g, a.oProj, y)));
        String f = OnnxExport.gelu(g, OnnxExport.linear(g, block.mlp.linear1, OnnxExport.layerNorm(g, block.ln2, h)));
        return g.node("Add", List.of(h, OnnxExport.linear(g, block.mlp.linear2, f)));
    }

    /**
     * softmax(q k^T / sqrt(hd), masked) v over projected q [B, T, H*hd] and k, v [B, T, Hkv*hd]
     * → [B, T, H*hd] (heads merged, before the output projection). Each mask is BOOL, broadcast
     * to [B, H, T, T], true = hidden. Query head h reads kv head h / (H / Hkv), as Kiln's kernel.
     */
    private static String attention(OnnxGraph g, String q, String k, String v, int heads, int kvHeads, int headDim,
                                    Rotation rope, List<String> masks) {
        String qh = splitHeads(g, q, heads, headDim);   // [B, H, T, hd]
        String kh = splitHeads(g, k, kvHeads, headDim); // [B, Hkv, T, hd]
        String vh = splitHeads(g, v, kvHeads, headDim);
        if (rope != null) {
            qh = rotate(g, rope, qh);
            kh = rotate(g, rope, kh);
        }
        if (kvHeads != heads) {
            kh = repeatKv(g, kh, heads, kvHeads, headDim);
            vh = repeatKv(g, vh, heads, kvHeads, headDim);
        }
        String kt = g.node("Transpose", List.of(kh), attr("perm", 0L, 1L, 3L, 2L)); // [B, H, hd, T]
        String scores = g.node("Mul", List.of(g.node("MatMul", List.of(qh, kt)), g.scalar("attention_scale",
                (float) (1 / Math.sqrt(headDim)))));
        for (String mask : masks) {
            scores = g.node("Where", List.of(mask, g.scalar("minus_inf", Float.NEGATIVE_INFINITY), scores));
        }
        String y = g.node("MatMul", List.of(g.node("Softmax", List.of(scores), attr("axis", -1L)), vh)); // [B, H, T, hd]
        y = g.node("Transpose", List.of(y), attr("perm", 0L, 2L, 1L, 3L));
        return g.node("Reshape", List.of(y, g.longs("merged_heads", 0, 0, (long) heads * headDim)));
    }

    /** [B, T, n*hd] → [B, n, T, hd]. */
    private static String splitHeads(OnnxGraph g, String x, int n, int headDim) {
        String r = g.node("Reshape", List.of(x, g.longs("split_heads", 0, 0, n, headDim)));
        return g.node("Transpose", List.of(r), attr("perm", 0L, 2L, 1L, 3L));
    }

    /** [B, Hkv, T, hd] → [B, H, T, hd], kv head j repeated for the H / Hkv query heads after it. */
    private static String repeatKv(OnnxGraph g, String x, int heads, int kvHeads, int headDim) {
        String u = g.node("Unsqueeze", List.of(x, g.longs("axes", 2))); // [B, Hkv, 1, T, hd]
        String e = g.node("Expand", List.of(u, g.longs("repeat", 1, 1, heads / kvHeads, 1, 1)));
        return g.node("Reshape", List.of(e, g.longs("query_heads", 0, heads, -1, headDim)));
    }

    /** The rotary tables' first T rows, [T, hd] each, made once per graph and read by every block. */
    private record Rotation(String cos, String sin, int headDim) {}

    private static Rotation rotation(OnnxGraph g, RotaryEmbedding rope, String seqLen) {
        int d = rope.headDim();
        String cos = g.node("Slice", List.of(g.initializer("rope_cos", rope.cosTable(), rope.maxPositions(), d),
                g.longs("zero", 0), seqLen, g.longs("axes", 0)));
        String sin = g.node("Slice", List.of(g.initializer("rope_sin", rope.sinTable(), rope.maxPositions(), d),
                g.longs("zero", 0), seqLen, g.longs("axes", 0)));
        return new Rotation(cos, sin, d);
    }

    /** {@link RotaryEmbedding#apply} at offset 0 on x [B, n, T, hd]: x cos + (-x2, x1) sin, x1 and x2 its halves. */
    private static String rotate(OnnxGraph g, Rotation r, String x) {
        int half = r.headDim() / 2;
        String last = g.longs("last_axis", 3);
        String x1 = g.node("Slice", List.of(x, g.longs("zero", 0), g.longs("half", half), last));
        String x2 = g.node("Slice", List.of(x, g.longs("half", half), g.longs("head_dim", r.headDim()), last));
        String rotated = g.node("Concat", List.of(g.node("Neg", List.of(x2)), x1), attr("axis", 3L));
        return g.node("Add", List.of(g.node("Mul", List.of(x, r.cos())), g.node("Mul", List.of(rotated, r.sin()))));
    }
}
