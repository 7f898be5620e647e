package dev.kiln.nn.quant;

import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.UnaryModule;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ops.Window2d;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Post-training int8 quantization of a module tree: dynamic (torch's
 * {@code torch.ao.quantization.quantize_dynamic} for {@code {nn.Linear, nn.Conv2d}}), or static
 * with activation scales calibrated by {@link ActivationRanges} ({@link #quantizeStatic}).
 *
 * <p>{@link #quantize} gives every {@link Linear} and every supported {@link Conv2d} (see
 * {@link QuantizedConv2d#supports}) an int8 twin and routes the layer's forward to it
 * ({@link Linear#replaceForward}); the rest of the model (embeddings, norms, attention) stays F32.
 * The model then serves inference only: outputs carry no gradient. Layers the model reads through
 * their weights rather than their forward (a tied output head) are unaffected, so results stay correct.
 *
 * <p>{@link #stateDict} lists, under each quantized layer's name, {@code weight} (I8),
 * {@code weight_scale} (F32 [out]) and {@code bias}; everything else as {@link Module#stateDict()}.
 * {@link #save} writes it as safetensors with metadata {@value #FORMAT_KEY} = {@value #FORMAT};
 * {@link #load} rebuilds the quantized layers in a freshly built F32 model of the same architecture.
 */
public final class Quantizer {
    /** Metadata key marking a quantized checkpoint. */
    public static final String FORMAT_KEY = "kiln.quantization";
    /** The scheme written under {@link #FORMAT_KEY}. */
    public static final String FORMAT = "int8-dynamic-symmetric-per-channel";
    /** The scheme written under {@link #FORMAT_KEY} when activations are static (calibrated scales). */
    public static final String FORMAT_STATIC = "int8-static-symmetric-per-channel";

    /**
     * Layers whose dot products are shorter than this (a Linear's in_features, a Conv2d's C·kh·kw)
     * stay F32: the int8 kernel steps 16 int lanes at a time, so a shorter dot runs entirely in its
     * scalar tail, and such a layer holds few weights to shrink. Measured on the Fashion-MNIST cnn
     * (first conv 1→32, 3×3: 9 taps): quantizing it cut batch-500 inference from 2083 to 602 images/s.
     */
    public static final int MIN_DOT_LENGTH = 32;

    private Quantizer() {}

    /** Whether {@link #quantize} converts {@code m}: a Linear, or a Conv2d it {@linkplain QuantizedConv2d#supports supports}, with dots of at least {@link #MIN_DOT_LENGTH}. */
    public static boolean quantizable(Module m) {
        return switch (m) {
            case Linear lin -> lin.inFeatures >= MIN_DOT_LENGTH;
            case Conv2d conv -> QuantizedConv2d.supports(conv) && conv.inChannels * conv.kernelH * conv.kernelW >= MIN_DOT_LENGTH;
            default -> false;
        };
    }

    /** What {@link #quantize} converted: dotted layer names, in tree order; skipped: Linear and Conv2d layers kept in F32. */
    public record Report(List<String> linear, List<String> conv2d, List<String> skipped) {}

    /** Whether checkpoint {@code metadata} marks a checkpoint written by {@link #save}. */
    public static boolean isQuantized(Map<String, String> metadata) {
        return metadata != null && metadata.containsKey(FORMAT_KEY);
    }

    /** Quantizes every Linear and supported Conv2d under {@code model} in place, dynamic activations (idempotent). */
    public static Report quantize(Module model) {
        return convert(model, null);
    }

    /**
     * Quantizes every Linear and supported Conv2d under {@code model} in place with static
     * activations: layer {@code name}'s inputs use the fixed scale {@code inputScales.get(name)}
     * (from {@link ActivationRanges#inputScales}). Layers already quantized are left as they are.
     *
     * @throws IllegalArgumentException if a layer to quantize has no scale (named) or a scale is negative or not finite
     */
    public static Report quantizeStatic(Module model, Map<String, Float> inputScales) {
        if (inputScales == null) {
            throw new IllegalArgumentException("quantizeStatic: inputScales must not be null");
        }
        if (model != null) {
            // Check every scale before converting any layer, so a bad map leaves the model untouched.
            layers(model).forEach((name, m) -> {
                if (quantizable(m) && replacementOf(m) == null) {
                    scaleOf(inputScales, name);
                }
            });
        }
        return convert(model, inputScales);
    }

    private static float scaleOf(Map<String, Float> scales, String layer) {
        if (scales == null) {
            return -1f;
        }
        Float s = scales.get(layer);
        if (s == null || !(s >= 0f) || s.isInfinite()) {
            throw new IllegalArgumentException("quantizeStatic: layer '" + layer + "' needs a finite input scale >= 0, got "
                    + s + " (calibrated layers: " + scales.keySet() + ")");
        }
        return s;
    }

    private static Report convert(Module model, Map<String, Float> scales) {
        if (model == null) {
            throw new IllegalArgumentException("quantize: model must not be null");
        }
        Report r = new Report(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (Map.Entry<String, Module> e : layers(model).entrySet()) {
            switch (e.getValue()) {
                case Linear lin when quantizable(lin) -> {
                    if (lin.forwardReplacement() == null) {
                        float s = scaleOf(scales, e.getKey());
                        lin.replaceForward(s < 0f ? QuantizedLinear.from(lin) : QuantizedLinear.from(lin, s));
                    }
                    r.linear().add(e.getKey());
                }
                case Conv2d conv when quantizable(conv) -> {
                    if (conv.forwardReplacement() == null) {
                        conv.replaceForward(QuantizedConv2d.from(conv, scaleOf(scales, e.getKey())));
                    }
                    r.conv2d().add(e.getKey());
                }
                case Linear lin -> r.skipped().add(e.getKey());
                case Conv2d conv -> r.skipped().add(e.getKey());
                default -> { }
            }
        }
        return r;
    }

    /** Every module under {@code root} by dotted name ("" for the root), parents first. */
    static Map<String, Module> layers(Module root) {
        Map<String, Module> out = new LinkedHashMap<>();
        walk("", root, out);
        return out;
    }

    private static void walk(String name, Module m, Map<String, Module> out) {
        out.put(name, m);
        m.children().forEach((child, c) -> walk(name.isEmpty() ? child : name + "." + child, c, out));
    }

    static UnaryModule replacementOf(Module m) {
        return switch (m) {
            case Linear lin -> lin.forwardReplacement();
            case Conv2d conv -> conv.forwardReplacement();
            default -> null;
        };
    }

    /** The quantized model's state: int8 layers' buffers in place of their F32 weights, the rest unchanged. */
    public static Map<String, Tensor> stateDict(Module model) {
        Map<String, Tensor> full = model.stateDict();
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, Module> all = layers(model);
        for (Map.Entry<String, Tensor> e : full.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            String owner = dot < 0 ? "" : key.substring(0, dot);
            UnaryModule q = replacementOf(all.get(owner));
            if (q == null) {
                out.put(key, e.getValue());
            } else {
                String prefix = owner.isEmpty() ? "" : owner + ".";
                if (!out.containsKey(prefix + "weight_scale")) {
                    q.stateDict(prefix).forEach(out::put);
                }
            }
        }
        return out;
    }

    /**
     * Writes {@link #stateDict} to {@code file} with {@code metadata} plus {@value #FORMAT_KEY}
     * ({@value #FORMAT_STATIC} when any layer has static activations, else {@value #FORMAT}).
     */
    public static void save(Path file, Module model, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata == null ? Map.of() : metadata);
        boolean anyStatic = layers(model).values().stream().map(Quantizer::replacementOf).anyMatch(q ->
                (q instanceof QuantizedLinear l && l.isStatic()) || (q instanceof QuantizedConv2d c && c.isStatic()));
        meta.put(FORMAT_KEY, anyStatic ? FORMAT_STATIC : FORMAT);
        Safetensors.save(file, stateDict(model), meta);
    }

    /**
     * Loads a checkpoint written by {@link #save} into {@code model}, a freshly built F32 model of
     * the same architecture: each layer whose {@code weight} is I8 in the file becomes quantized
     * with the file's weights and scales; every other tensor loads as in {@link Module#loadStateDict}
     * (strict: a missing or unexpected key fails, naming it).
     *
     * @throws IllegalArgumentException if the file was not written by {@link #save} or does not fit the model
     */
    public static void load(Path file, Module model) throws IOException {
        try (Safetensors.Checkpoint ck = Safetensors.load(file)) {
            load(ck, file.toString(), model);
        }
    }

    /**
     * {@link #load(Path, Module)} from an already opened checkpoint ({@code source} names it in
     * errors); the tensors the model keeps are copies, so {@code ck} may be closed afterwards.
     *
     * @throws IllegalArgumentException if the checkpoint was not written by {@link #save} or does not fit the model
     */
    public static void load(Safetensors.Checkpoint ck, String source, Module model) {
        String format = ck.metadata().get(FORMAT_KEY);
        if (!FORMAT.equals(format) && !FORMAT_STATIC.equals(format)) {
            throw new IllegalArgumentException("Quantizer.load: " + source + " has metadata " + FORMAT_KEY + "="
                    + format + ", expected " + FORMAT + " or " + FORMAT_STATIC);
        }
        Map<String, Tensor> rest = new LinkedHashMap<>(ck.tensors());
        List<String> quantizedOwners = new ArrayList<>();
        for (Map.Entry<String, Module> e : layers(model).entrySet()) {
            String p = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            Tensor w = rest.get(p + "weight");
            if (w == null || w.dtype() != DType.I8) {
                continue;
            }
            Tensor scale = rest.remove(p + "weight_scale");
            Tensor bias = rest.remove(p + "bias");
            Tensor inputScale = rest.remove(p + "input_scale");
            rest.remove(p + "weight");
            switch (e.getValue()) {
                case Linear lin -> lin.replaceForward(new QuantizedLinear(w.copy(), copyOrNull(scale), copyOrNull(bias),
                        copyOrNull(inputScale)));
                case Conv2d conv -> {
                    Window2d window = QuantizedConv2d.windowOf(conv);
                    conv.replaceForward(new QuantizedConv2d(w.copy(), copyOrNull(scale), copyOrNull(bias), window,
                            copyOrNull(inputScale)));
                }
                default -> throw new IllegalArgumentException("Quantizer.load: " + p + "weight is I8 but '" + e.getKey()
                        + "' is a " + e.getValue().getClass().getSimpleName() + ", not a Linear or Conv2d");
            }
            quantizedOwners.add(p);
        }
        Module.LoadResult r = model.loadStateDict(rest, false);
        List<String> missing = r.missingKeys().stream()
                .filter(k -> quantizedOwners.stream().noneMatch(k::startsWith)).toList();
        if (!missing.isEmpty() || !r.unexpectedKeys().isEmpty()) {
            throw new IllegalArgumentException("Quantizer.load: " + source + " does not fit the model: missing "
                    + missing + ", unexpected " + r.unexpectedKeys());
        }
    }

    private static Tensor copyOrNull(Tensor t) {
        return t == null ? null : t.copy();
    }
}
