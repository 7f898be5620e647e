package dev.kiln.optim.train;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (SIGINT), SIGTERM or {@code System.exit} for a {@link TrainingLoop}: a JVM shutdown hook
 * asks the loop to stop after its current step and then waits until this object is closed, so that
 * the loop can write its checkpoint (and the caller whatever it prints) before the JVM exits.
 *
 * <pre>{@code
 * try (StopOnShutdown _ = StopOnShutdown.install(loop, Duration.ofMinutes(2))) {
 *     result = loop.fit();
 *     ... report the result ...
 * }   // the hook, if it runs, returns here and the JVM exits (status 130 after SIGINT)
 * }</pre>
 *
 * <p><b>Why a shutdown hook.</b> {@code sun.misc.Signal} would keep the JVM alive after Ctrl-C, but
 * javac warns on every use of it ("internal proprietary API") and the build is warning-free;
 * {@code jdk.internal.misc.Signal} is not exported. A shutdown hook is public API and also covers
 * SIGTERM (what {@code Process.destroy()}, {@code kill} and container runtimes send). The cost: once
 * the hook runs the JVM is going down, so the run cannot continue after the checkpoint; it exits
 * with the signal's status. The hook waits at most {@code grace}, so a hung step cannot keep the
 * JVM from exiting.
 */
public final class StopOnShutdown implements AutoCloseable {
    private final Thread hook;
    private final CountDownLatch done = new CountDownLatch(1);

    private StopOnShutdown(TrainingLoop<?> loop, Duration grace) {
        this.hook = new Thread(() -> {
            loop.requestStop();
            try {
                done.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kiln-train-stop");
    }

    /** Installs the hook for {@code loop}; {@code grace} bounds how long it waits for {@link #close}. */
    public static StopOnShutdown install(TrainingLoop<?> loop, Duration grace) {
        if (loop == null || grace == null || grace.isNegative()) {
            throw new IllegalArgumentException("StopOnShutdown.install: loop and a non-negative grace are required, got "
                    + loop + " and " + grace);
        }
        StopOnShutdown s = new StopOnShutdown(loop, grace);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** Lets a running hook return (the JVM then exits) or, when none runs, removes it. */
    @Override
    public void close() {
        done.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running (or has run): nothing to remove
        }
    }
}
