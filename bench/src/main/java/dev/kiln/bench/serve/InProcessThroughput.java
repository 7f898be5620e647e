package dev.kiln.bench.serve;

import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.tensor.BatchInvariance;
import java.util.ArrayList;
import java.util.List;

/**
 * The ceiling a server's batching is measured against: the served model's own batched throughput
 * in this process, on pre-built request tensors, with no HTTP and no JSON. Each step is what the
 * server does between parsing a batch of requests and writing their answers:
 * {@link ServedModel#prepare} of every request (input checks, pixel normalisation) and one
 * {@link ServedModel#run} over them all (the forward pass, softmax, argmax, per-request output
 * tensors) — the batcher's call, at the server's batch size, batch-invariant as the batcher runs it.
 */
final class InProcessThroughput {
    /**
     * What one measurement found.
     *
     * @param examplesPerSecond all samples' examples per second of wall time: the statistic the
     *     server's measured window gives, so the ratio compares like with like on a busy machine
     * @param bestExamplesPerSecond the best sample's examples per second of wall time
     * @param examplesPerCpuSecond all samples' examples per second of this process's CPU time (what
     *     other jobs on the machine disturb least)
     */
    record Result(double examplesPerSecond, double bestExamplesPerSecond, double examplesPerCpuSecond) {}

    private InProcessThroughput() {}

    /**
     * Examples per second of {@code model} on batches of {@code requestsPerBatch} copies of
     * {@code request}: a warm-up of {@code warmupNanos}, then {@code samples} timed runs of at least
     * {@code sampleNanos} each, their mean and their best. (The ratio once used the best: on a
     * machine shared with other jobs that set the luckiest second against the server's whole window.)
     */
    static Result measure(ServedModel model, InferTensor request, int requestsPerBatch, long warmupNanos,
            long sampleNanos, int samples) {
        // The batcher's thread runs its forward passes batch-invariant (identical answers batched or
        // not); the ceiling runs the same kernels, so the ratio measures serving, not a kernel choice.
        try (BatchInvariance _ = BatchInvariance.enter()) {
            return measureInvariant(model, request, requestsPerBatch, warmupNanos, sampleNanos, samples);
        }
    }

    private static Result measureInvariant(ServedModel model, InferTensor request, int requestsPerBatch, long warmupNanos,
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
        long wall = 0;
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
            wall += elapsed;
        }
        cpu = ProcessCpu.nanos() - cpu;
        return new Result(examples / (wall / 1e9), best, cpu > 0 ? examples / (cpu / 1e9) : Double.NaN);
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
