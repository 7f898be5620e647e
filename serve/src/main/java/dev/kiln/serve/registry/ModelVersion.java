package dev.kiln.serve.registry;

import dev.kiln.serve.batch.DynamicBatcher;
import dev.kiln.serve.model.ServedModel;

/**
 * One loaded version of a model: the model, its batcher, and how many requests are using it now
 * (an unload waits for that count to reach zero before it closes the batcher).
 *
 * <p>Thread-safety: all methods may be called from any thread.
 */
public final class ModelVersion {
    private final String name;
    private final String version;
    private final ServedModel model;
    private final DynamicBatcher batcher;
    private int inFlight; // guarded by this
    private boolean retired; // guarded by this: unloaded, no new leases

    ModelVersion(String name, String version, ServedModel model, DynamicBatcher batcher) {
        this.name = name;
        this.version = version;
        this.model = model;
        this.batcher = batcher;
    }

    /** The model's name. */
    public String name() {
        return name;
    }

    /** This version's label. */
    public String version() {
        return version;
    }

    /** The model. */
    public ServedModel model() {
        return model;
    }

    /** Its batcher. */
    public DynamicBatcher batcher() {
        return batcher;
    }

    /** Requests holding a lease on this version now. */
    public synchronized int inFlight() {
        return inFlight;
    }

    synchronized boolean tryAcquire() {
        if (retired) {
            return false;
        }
        inFlight++;
        return true;
    }

    synchronized void release() {
        inFlight--;
        if (inFlight == 0) {
            notifyAll();
        }
    }

    /**
     * Stops new leases, waits up to {@code timeoutMs} for the ones out to end, then closes the
     * batcher (requests still on it get 503). The batcher is closed even when the wait is
     * interrupted: a version off the registry must not keep its thread.
     *
     * @return whether every lease ended within the time
     */
    boolean retire(long timeoutMs) throws InterruptedException {
        try {
            synchronized (this) {
                retired = true;
                long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
                while (inFlight > 0) {
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) {
                        return false;
                    }
                    wait(left);
                }
                return true;
            }
        } finally {
            batcher.close();
        }
    }

    /**
     * A request's hold on a version: while it is open the version is not closed under it.
     * Close it exactly once (try-with-resources).
     */
    public static final class Lease implements AutoCloseable {
        private final ModelVersion version;
        private boolean closed;

        Lease(ModelVersion version) {
            this.version = version;
        }

        /** The version held. */
        public ModelVersion version() {
            return version;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                version.release();
            }
        }
    }
}
