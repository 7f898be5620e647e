package dev.kiln.serve;

import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.serve.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A test model whose forward pass waits for the test: {@code run} announces itself on
 * {@link #entered} and blocks until {@link #open} is called (once open, it stays open). It doubles
 * its input {@code x} (FP32, one value per row) into {@code y}, and remembers every batch it ran.
 */
final class GatedModel implements ServedModel {
    static final String BODY_FORMAT = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[%s]}]}";

    final Semaphore entered = new Semaphore(0);
    final List<List<Float>> batches = new CopyOnWriteArrayList<>();
    private final CountDownLatch gate = new CountDownLatch(1);

    /** The infer body for one row holding {@code x}. */
    static String body(float x) {
        return String.format(java.util.Locale.ROOT, BODY_FORMAT, x);
    }

    /** Lets every forward pass, blocked or to come, through. */
    void open() {
        gate.countDown();
    }

    /** Waits (generously) until a forward pass has begun. */
    void awaitEntered() throws InterruptedException {
        if (!entered.tryAcquire(60, TimeUnit.SECONDS)) {
            throw new AssertionError("no forward pass began within 60 s");
        }
    }

    @Override
    public String app() {
        return "gated";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("x", "FP32", new long[] {-1, 1}));
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("y", "FP32", new long[] {-1, 1}));
    }

    @Override
    public Examples prepare(List<InferTensor> inputs) {
        double[] n = inputs.getFirst().numbers();
        float[] x = new float[n.length];
        for (int i = 0; i < n.length; i++) {
            x[i] = (float) n[i];
        }
        return new Examples(x.length, 1, x, null);
    }

    @Override
    public List<List<OutputTensor>> run(List<Examples> batch) {
        List<Float> seen = new ArrayList<>();
        batch.forEach(e -> {
            for (float v : e.f32()) {
                seen.add(v);
            }
        });
        batches.add(seen);
        entered.release();
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("GatedModel: the test never opened the gate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("GatedModel: interrupted", e);
        }
        List<List<OutputTensor>> out = new ArrayList<>();
        for (Examples e : batch) {
            float[] y = new float[e.rows()];
            for (int i = 0; i < y.length; i++) {
                y[i] = 2 * e.f32()[i];
            }
            out.add(List.of(OutputTensor.fp32("y", y, y.length, 1)));
        }
        return out;
    }
}
