package dev.kiln.tensor.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Future;

/**
 * The one shared thread pool of the CPU kernels, sized to the cores.
 *
 * <p>Work is split into at most {@link #threads()} contiguous chunks; the calling thread runs the
 * first chunk itself, so a 2-thread split costs one hand-off, not two. Ranges smaller than the
 * caller's grain run inline: below a few tens of microseconds of work a fork/join costs more than
 * it saves. Nested calls (a kernel called from inside a parallel region) run inline too, which
 * keeps the pool deadlock-free without work stealing tricks.
 *
 * <p>Thread-safe. The thread count can be lowered at run time (benchmarks compare 1 and 2
 * threads); it never exceeds the pool's size.
 */
public final class CpuParallel {
    /** A body over the half-open index range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final ForkJoinPool POOL = new ForkJoinPool(
            Math.max(1, CORES),
            pool -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setDaemon(true);
                t.setName("kiln-cpu-" + t.getPoolIndex());
                return t;
            },
            null, false);
    /** True on a calling thread while it runs its own chunk of a parallel region. */
    private static final ThreadLocal<Boolean> IN_REGION = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static volatile int threads = clamp(Integer.getInteger("kiln.threads", CORES));

    /** How long a caller spins on an unfinished chunk before it blocks; see {@link #awaitBriefly}. */
    private static final long SPIN_NANOS = 200_000L;

    private CpuParallel() {}

    /** Number of hardware threads the JVM sees. */
    public static int cores() {
        return CORES;
    }

    /** Threads a kernel may use now (1 ≤ threads ≤ cores). */
    public static int threads() {
        return threads;
    }

    /** Sets the thread budget of all kernels; values are clamped to {@code [1, cores]}. */
    public static void setThreads(int n) {
        threads = clamp(n);
    }

    private static int clamp(int n) {
        return Math.max(1, Math.min(CORES, n));
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into contiguous chunks of at least {@code grain}
     * indices, one chunk per thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunks = chunksFor(n, grain);
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            futures[c - 1] = POOL.submit(() -> body.run(start, end));
        }
        RuntimeException failure = null;
        // The caller's own chunk is part of the parallel region too: a kernel nested in it (a
        // batched matmul's GEMM) must run inline, not queue behind the busy workers.
        IN_REGION.set(Boolean.TRUE);
        try {
            body.run(0, (int) ((long) n / chunks));
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            IN_REGION.set(Boolean.FALSE);
        }
        for (Future<?> f : futures) {
            awaitBriefly(f);
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("CpuParallel: interrupted while waiting for a kernel chunk", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    Throwable cause = e.getCause();
                    failure = cause instanceof RuntimeException re ? re
                            : new IllegalStateException("CpuParallel: kernel chunk failed", cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Spins (bounded by {@link #SPIN_NANOS}) until {@code f} completes. Blocking in
     * {@code Future.get()} parks the caller, and being unparked costs 30–50 µs on this (virtualised)
     * machine: more than the whole second half of a 256³ sgemm's saving. Spinning first cut the
     * forRange round trip from ~38 µs to ~1 µs and took 2-thread sgemm at n = 256 from 140 to
     * 160–180 GFLOPS. The caller has nothing else to do meanwhile; past the bound it blocks.
     */
    private static void awaitBriefly(Future<?> f) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (!f.isDone() && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }

    /** How many chunks {@link #forRange} would use for {@code n} items of grain {@code grain}. */
    public static int chunksFor(int n, int grain) {
        if (ForkJoinTask.inForkJoinPool() || IN_REGION.get()) {
            return 1;
        }
        int byGrain = (int) Math.min(Integer.MAX_VALUE, n / (long) Math.max(1, grain));
        return Math.max(1, Math.min(threads, byGrain));
    }
}
