package dev.kiln.nn.quant;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.UnaryModule;
import dev.kiln.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calibration for static int8 quantization (torch's {@code prepare} with a symmetric
 * {@code MinMaxObserver}): {@link #observe} routes the forward of every Linear and supported Conv2d
 * under a model that {@link Quantizer#quantizable} accepts through an observer that records the largest |input| the layer sees and then runs
 * the layer's own F32 forward, so outputs are unchanged. Run the calibration batches through the
 * model, read {@link #inputScales} (max-abs / 127 per layer, the scale
 * {@link Quantizer#quantizeStatic} fixes), then {@link #close} to take the observers out.
 *
 * <p>Why max-abs rather than a percentile: the scale is one per layer for every row, and a clipped
 * activation saturates at ±127 — in a transformer the rare large activations carry much of the
 * signal (LLM.int8()'s outlier features), so clipping them costs more than the coarser step of an
 * unclipped range. Max-abs is also what torch's default observer records.
 *
 * <p>Not thread-safe: calibrate on one thread. The model must not be quantized yet.
 */
public final class ActivationRanges implements AutoCloseable {
    private final Map<String, Module> layers = new LinkedHashMap<>();
    private final Map<String, float[]> maxAbs = new LinkedHashMap<>();
    private boolean closed;

    private ActivationRanges() {}

    /**
     * Installs an observer on every Linear and supported Conv2d under {@code model}.
     *
     * @throws IllegalArgumentException if model is null or a layer is already quantized (or observed)
     */
    public static ActivationRanges observe(Module model) {
        if (model == null) {
            throw new IllegalArgumentException("ActivationRanges.observe: model must not be null");
        }
        ActivationRanges r = new ActivationRanges();
        for (Map.Entry<String, Module> e : Quantizer.layers(model).entrySet()) {
            Module m = e.getValue();
            if (!Quantizer.quantizable(m)) {
                continue;
            }
            if (Quantizer.replacementOf(m) != null) {
                r.close();
                throw new IllegalArgumentException("ActivationRanges.observe: layer '" + e.getKey()
                        + "' already has a forward replacement (quantized already?)");
            }
            float[] max = {0f, 0f}; // max|x|, calls
            r.layers.put(e.getKey(), m);
            r.maxAbs.put(e.getKey(), max);
            install(m, new Observer(m, max));
        }
        return r;
    }

    private static void install(Module layer, UnaryModule replacement) {
        switch (layer) {
            case Linear lin -> lin.replaceForward(replacement);
            case Conv2d conv -> conv.replaceForward(replacement);
            default -> throw new IllegalStateException("not a quantizable layer: " + layer.getClass().getSimpleName());
        }
    }

    /** Records max|x| then runs the layer's F32 forward (the observer steps aside for the call). */
    private static final class Observer extends UnaryModule {
        private final Module layer;
        private final float[] max;

        Observer(Module layer, float[] max) {
            this.layer = layer;
            this.max = max;
        }

        @Override
        public Var forward(Var x) {
            try (Tensor a = x.value().abs(); Tensor m = a.max()) {
                float v = (float) m.item();
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("calibration: a layer's input holds " + v
                            + "; static scales need finite activations");
                }
                max[0] = Math.max(max[0], v);
                max[1]++;
            }
            install(layer, null);
            try {
                return layer instanceof Linear lin ? lin.forward(x) : ((Conv2d) layer).forward(x);
            } finally {
                install(layer, this);
            }
        }
    }

    /** Largest |input| seen so far by each observed layer, by dotted name. */
    public Map<String, Float> maxAbs() {
        Map<String, Float> out = new LinkedHashMap<>();
        maxAbs.forEach((k, v) -> out.put(k, v[0]));
        return Collections.unmodifiableMap(out);
    }

    /**
     * The static activation scale of each observed layer: max|input| / 127.
     *
     * @throws IllegalStateException if some layer saw no input (name given): its scale is unknown
     */
    public Map<String, Float> inputScales() {
        Map<String, Float> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : maxAbs.entrySet()) {
            if (e.getValue()[1] == 0f) {
                throw new IllegalStateException("calibration: layer '" + e.getKey()
                        + "' saw no input, so its static scale is unknown (does the model call its forward?)");
            }
            out.put(e.getKey(), e.getValue()[0] / 127f);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Takes the observers out; the layers run their own F32 forward again. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        layers.values().forEach(m -> install(m, null));
    }
}
