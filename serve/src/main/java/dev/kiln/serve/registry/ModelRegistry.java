package dev.kiln.serve.registry;

import dev.kiln.serve.ServeException;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.batch.DynamicBatcher;
import dev.kiln.serve.model.ServedModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * The models a server serves, by name and version, loaded and unloaded while it runs. A request
 * takes a {@link ModelVersion.Lease} on the version it resolves to; unloading a version stops new
 * leases at once and closes its batcher only when the leases already out are closed, so requests
 * in flight finish. A request that names no version goes where the model's {@link TrafficSplit}
 * sends it, or, with no split, to its default version (the oldest one loaded).
 *
 * <p>Thread-safety: every method may be called from any thread; lookups and changes are serialised
 * on this registry (they take microseconds), the drain of an unload happens outside the lock.
 */
public final class ModelRegistry implements AutoCloseable {
    /** Creates a model version's batcher; the server passes one that wires in its metrics. */
    @FunctionalInterface
    public interface BatcherFactory {
        /** A started batcher for version {@code version} of {@code name}. */
        DynamicBatcher create(String name, String version, ServedModel model, BatchingOptions options);
    }

    private final Map<String, Map<String, ModelVersion>> versions = new LinkedHashMap<>(); // name -> version -> it
    private final Map<String, TrafficSplit> splits = new LinkedHashMap<>();
    private final BatcherFactory batchers;

    /** An empty registry whose versions get their batchers from {@code batchers}. */
    public ModelRegistry(BatcherFactory batchers) {
        this.batchers = batchers;
    }

    /** An empty registry with plain batchers that report batch sizes to {@code batchSizes}. */
    public static ModelRegistry withPlainBatchers(IntConsumer batchSizes) {
        return new ModelRegistry((n, v, m, o) -> new DynamicBatcher(n + "-" + v, m, o, batchSizes));
    }

    /**
     * Loads {@code model} as version {@code version} of {@code name} and starts its batcher.
     *
     * @throws IllegalArgumentException when a name or version is not [A-Za-z0-9_.-]+, or the version is loaded already
     */
    public void load(String name, String version, ServedModel model, BatchingOptions options) {
        checkLabel("name", name);
        checkLabel("version", version);
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        synchronized (this) {
            if (versions.getOrDefault(name, Map.of()).containsKey(version)) {
                throw new IllegalArgumentException("version: model \"" + name + "\" already has version \"" + version + "\"");
            }
        }
        DynamicBatcher batcher = batchers.create(name, version, model, options); // outside the lock: it starts a thread
        synchronized (this) {
            if (versions.getOrDefault(name, Map.of()).containsKey(version)) { // a racing load of the same version won
                batcher.close();
                throw new IllegalArgumentException("version: model \"" + name + "\" already has version \"" + version + "\"");
            }
            versions.computeIfAbsent(name, _ -> new LinkedHashMap<>()).put(version, new ModelVersion(name, version, model, batcher));
        }
    }

    /**
     * Unloads version {@code version} of {@code name}: no new request reaches it from now on; waits
     * up to {@code drainMs} for requests in flight on it, then closes its batcher. A traffic split
     * that named it goes on over the versions left (their weights renormalised); with none left
     * the model goes back to its default version.
     *
     * @return true when every request in flight finished within {@code drainMs}, false when the
     *     batcher was closed under some (they get 503)
     * @throws ServeException 404 when there is no such model or version
     * @throws IllegalArgumentException when {@code drainMs} is negative
     * @throws InterruptedException when interrupted while draining (the batcher is closed anyway)
     */
    public boolean unload(String name, String version, long drainMs) throws InterruptedException {
        if (drainMs < 0) {
            throw new IllegalArgumentException("drainMs: expected >= 0, got " + drainMs);
        }
        ModelVersion gone;
        synchronized (this) {
            Map<String, ModelVersion> vs = versionsOf(name);
            gone = vs.remove(version);
            if (gone == null) {
                throw noVersion(name, version, vs);
            }
            if (vs.isEmpty()) {
                versions.remove(name);
            }
            TrafficSplit split = splits.get(name);
            if (split != null && split.weights().containsKey(version)) {
                TrafficSplit rest = split.without(version);
                if (rest == null) {
                    splits.remove(name);
                } else {
                    splits.put(name, rest);
                }
            }
            if (!versions.containsKey(name)) {
                splits.remove(name);
            }
            // Leases are only handed out under this lock, so once the version is off the map and
            // retire() has run no new request can reach it.
        }
        return gone.retire(drainMs);
    }

    /**
     * Splits requests to {@code name} that name no version between the versions in
     * {@code split}; null removes the split (back to the default version).
     *
     * @throws ServeException 404 for an unknown model, 400 when the split names a version not loaded
     */
    public synchronized void split(String name, TrafficSplit split) {
        Map<String, ModelVersion> vs = versionsOf(name);
        if (split == null) {
            splits.remove(name);
            return;
        }
        for (String v : split.weights().keySet()) {
            if (!vs.containsKey(v)) {
                throw ServeException.badRequest("traffic." + v + ": model \"" + name + "\" has no version \"" + v
                        + "\"; loaded: " + vs.keySet());
            }
        }
        splits.put(name, split);
    }

    /** The traffic split of {@code name}, or null. */
    public synchronized TrafficSplit split(String name) {
        return splits.get(name);
    }

    /**
     * A lease on the version a request resolves to: {@code version} when given, else the split's
     * pick for {@code stickyKey} (null: random), else the default version.
     *
     * @throws ServeException 404 when there is no such model or version
     */
    public synchronized ModelVersion.Lease acquire(String name, String version, String stickyKey) {
        Map<String, ModelVersion> vs = versionsOf(name);
        String chosen = version;
        if (chosen == null) {
            TrafficSplit split = splits.get(name);
            chosen = split != null ? split.pick(stickyKey) : vs.keySet().iterator().next();
        }
        ModelVersion v = vs.get(chosen);
        if (v == null || !v.tryAcquire()) {
            throw noVersion(name, chosen, vs);
        }
        return new ModelVersion.Lease(v);
    }

    /** The version {@code version} of {@code name} (the default one when null), without a lease. */
    public synchronized ModelVersion find(String name, String version) {
        Map<String, ModelVersion> vs = versionsOf(name);
        ModelVersion v = version == null ? vs.values().iterator().next() : vs.get(version);
        if (v == null) {
            throw noVersion(name, version, vs);
        }
        return v;
    }

    /** Whether a model called {@code name} is loaded. */
    public synchronized boolean contains(String name) {
        return versions.containsKey(name);
    }

    /** The loaded model names, in load order. */
    public synchronized List<String> names() {
        return List.copyOf(versions.keySet());
    }

    /** The loaded versions of {@code name}, oldest first. */
    public synchronized List<ModelVersion> versions(String name) {
        return List.copyOf(versionsOf(name).values());
    }

    /** Every loaded version of every model. */
    public synchronized List<ModelVersion> all() {
        List<ModelVersion> out = new ArrayList<>();
        versions.values().forEach(vs -> out.addAll(vs.values()));
        return out;
    }

    private Map<String, ModelVersion> versionsOf(String name) {
        Map<String, ModelVersion> vs = versions.get(name);
        if (vs == null) {
            throw ServeException.notFound("model: no model named \"" + name + "\"; served: " + versions.keySet());
        }
        return vs;
    }

    private static ServeException noVersion(String name, String version, Map<String, ModelVersion> vs) {
        return ServeException.notFound("version: model \"" + name + "\" has no version \"" + version + "\"; served: "
                + vs.keySet());
    }

    private static void checkLabel(String what, String s) {
        if (s == null || !s.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException(what + ": expected [A-Za-z0-9_.-]+, got " + (s == null ? "null" : "\"" + s + "\""));
        }
    }

    /** Closes every batcher at once (requests still queued get 503); for server shutdown after the drain. */
    @Override
    public void close() {
        List<ModelVersion> open;
        synchronized (this) {
            open = all();
            versions.clear();
            splits.clear();
        }
        open.forEach(v -> v.batcher().close());
    }
}
