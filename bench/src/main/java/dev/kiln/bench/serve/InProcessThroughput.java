package dev.kiln.bench.serve;

import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.ServedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The ceiling a server's batching is measured against: the served model's own batched throughput
 * in this process, on pre-built request tensors, with no HTTP and no JSON. Each step is what the
 * server does between parsing a batch of requests and writing their answers:
 * {@link ServedModel#prepare} of every request (input checks, pixel normalisation) and one
 * {@link ServedModel#run} over them all (the forward pass, softmax, argmax, per-request output
 * tensors) — the batcher's call, at the server's batch size.
 */
final class InProcessThroughput {
    /**
     * What one measurement found.
     *
     * @param examplesPerSecond the best sample's examples per second of wall time
     * @param examplesPerCpuSecond all samples' examples per second of this process's CPU time (what
     *     other jobs on the machine disturb least)
     */
    record Result(double examplesPerSecond, double examplesPerCpuSecond) {}

    private InProcessThroughput() {}

    /**
     * Examples per second of {@code model} on batches of {@code requestsPerBatch} copies of
     * {@code request}: a warm-up of {@code warmupNanos}, then the best of {@code samples} timed
     * runs of at least {@code sampleNanos} each (best-of: on a shared machine interference only
     * makes a run slower, and a high ceiling makes the ratio conservative).
     */
    static Result measure(ServedModel model, InferTensor request, int requestsPerBatch, long warmupNanos,
            long sampleNanos, int samples) {
        if (requestsPerBatch < 1 || samples < 1) {
            throw new IllegalArgumentException("InProcessThroughput: batch and samples must be >= 1, got "
                    + requestsPerBatch + " and " + samples);
        }
        List<List<InferTensor>> batch = new ArrayList<>();
        for (int r = 0; r < requestsPerBatch; r++) {
            batch.add(List.of(request));
        }
        int examplesPerStep = requestsPerBatch * Math.toIntExact(request.shape()[0]);
        long warmEnd = System.nanoTime() + warmupNanos;
        do {
            step(model, batch);
        } while (System.nanoTime() < warmEnd);
        double best = 0;
        long examples = 0;
        long cpu = ProcessCpu.nanos();
        for (int s = 0; s < samples; s++) {
            long start = System.nanoTime();
            long steps = 0;
            long elapsed;
            do {
                step(model, batch);
                steps++;
                elapsed = System.nanoTime() - start;
            } while (elapsed < sampleNanos);
            best = Math.max(best, steps * examplesPerStep / (elapsed / 1e9));
            examples += steps * examplesPerStep;
        }
        cpu = ProcessCpu.nanos() - cpu;
        return new Result(best, cpu > 0 ? examples / (cpu / 1e9) : Double.NaN);
    }

    private static void step(ServedModel model, List<List<InferTensor>> batch) {
        List<Examples> examples = new ArrayList<>(batch.size());
        for (List<InferTensor> request : batch) {
            examples.add(model.prepare(request));
        }
        if (model.run(examples).size() != batch.size()) {
            throw new IllegalStateException("the model answered the wrong number of requests");
        }
    }
}
