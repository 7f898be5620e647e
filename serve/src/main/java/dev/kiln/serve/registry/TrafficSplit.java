package dev.kiln.serve.registry;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A weighted split of one model's traffic between its versions (A/B tests, canaries). A request
 * with a sticky key (e.g. the {@code X-User-Id} header) always lands on the same version while the
 * weights stay the same: the key is hashed to a point in [0, 1) and the versions own consecutive
 * intervals of that line in proportion to their weights. Without a key the point is random.
 *
 * @param weights version → weight (> 0), in the order their intervals are laid out
 */
public record TrafficSplit(Map<String, Double> weights) {
    /** Checks the weights and copies them. */
    public TrafficSplit {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("traffic: expected at least one version, got none");
        }
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (e.getValue() == null || !(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException("traffic." + e.getKey() + ": expected a weight > 0, got " + e.getValue());
            }
        }
        weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    /** The version a request with {@code stickyKey} (null: none) goes to. */
    public String pick(String stickyKey) {
        double total = weights.values().stream().mapToDouble(Double::doubleValue).sum();
        double point = (stickyKey == null ? ThreadLocalRandom.current().nextDouble() : unitHash(stickyKey)) * total;
        String last = null;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            last = e.getKey();
            point -= e.getValue();
            if (point < 0) {
                return last;
            }
        }
        return last; // rounding at the very end of the line
    }

    /** The split without {@code version}, or null when nothing is left. */
    TrafficSplit without(String version) {
        Map<String, Double> rest = new LinkedHashMap<>(weights);
        rest.remove(version);
        return rest.isEmpty() ? null : new TrafficSplit(rest);
    }

    /**
     * {@code key} hashed to [0, 1): 64-bit FNV-1a over its UTF-8 bytes, then splitmix64's finaliser,
     * because FNV alone leaves keys that differ in their last character close together.
     */
    static double unitHash(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53;
    }
}
