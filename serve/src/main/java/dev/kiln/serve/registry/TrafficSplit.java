package dev.kiln.serve.registry;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A weighted split of one model's traffic between its versions (A/B tests, canaries): a version
 * gets a share of the requests equal to its weight over the sum of the weights. A request with a
 * sticky key (e.g. the {@code X-User-Id} header) always lands on the same version while the
 * weights stay the same; without a key the pick is random.
 *
 * <p>Sticky picks use weighted rendezvous hashing: each version scores {@code -ln(u) / weight}
 * with {@code u} a hash of the key and the version in (0, 1), and the lowest score wins. The
 * scores are exponential races, so a version wins with probability weight / total, and, unlike
 * laying the versions out on one line, taking a version away (an unload) or adding one (a canary)
 * moves only the keys that must move: the others keep the version they had.
 *
 * <p>Immutable and thread-safe.
 *
 * @param weights version → weight (finite, >= 0, at least one > 0; 0 keeps a version in the split
 *     without traffic)
 */
public record TrafficSplit(Map<String, Double> weights) {
    /**
     * Checks the weights and copies them.
     *
     * @throws IllegalArgumentException naming {@code traffic.VERSION} when a weight is missing,
     *     negative, NaN or infinite, or {@code traffic} when there are none or all are 0
     */
    public TrafficSplit {
        if (weights == null || weights.isEmpty()) {
            throw new IllegalArgumentException("traffic: expected at least one version, got none");
        }
        double total = 0;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("traffic: expected version labels, got " + (e.getKey() == null ? "null" : "\"\""));
            }
            Double w = e.getValue();
            if (w == null || !(w >= 0) || w.isInfinite()) {
                throw new IllegalArgumentException("traffic." + e.getKey() + ": expected a finite weight >= 0, got " + w);
            }
            total += w;
        }
        if (!(total > 0) || Double.isInfinite(total)) {
            throw new IllegalArgumentException("traffic: expected weights with a finite sum > 0, got " + weights);
        }
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    /** The version a request with {@code stickyKey} (null: none, a random pick) goes to. */
    public String pick(String stickyKey) {
        return stickyKey == null ? randomPick() : rendezvousPick(stickyKey);
    }

    /** Each version's share of the traffic, weight / total, in the order of {@link #weights()}. */
    public Map<String, Double> shares() {
        double total = total();
        Map<String, Double> out = new LinkedHashMap<>();
        weights.forEach((v, w) -> out.put(v, w / total));
        return Collections.unmodifiableMap(out);
    }

    private String randomPick() {
        double point = ThreadLocalRandom.current().nextDouble() * total();
        String last = null;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (e.getValue() > 0) {
                last = e.getKey();
                point -= e.getValue();
                if (point < 0) {
                    return last;
                }
            }
        }
        return last; // rounding at the very end of the line
    }

    private String rendezvousPick(String key) {
        String best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (e.getValue() > 0) {
                // '\0' between key and version: "ab"+"c" and "a"+"bc" must not hash alike.
                double score = -Math.log(unitHash(key + '\0' + e.getKey())) / e.getValue();
                if (best == null || score < bestScore) {
                    best = e.getKey();
                    bestScore = score;
                }
            }
        }
        return best;
    }

    private double total() {
        return weights.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** The split without {@code version}, or null when no version with a weight > 0 is left. */
    TrafficSplit without(String version) {
        Map<String, Double> rest = new LinkedHashMap<>(weights);
        rest.remove(version);
        return rest.values().stream().anyMatch(w -> w > 0) ? new TrafficSplit(rest) : null;
    }

    /**
     * {@code key} hashed into (0, 1), never 0 (its logarithm is taken): 64-bit FNV-1a over its UTF-8
     * bytes, then splitmix64's finaliser, because FNV alone leaves keys that differ in their last
     * character close together.
     */
    static double unitHash(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return ((h >>> 11) + 0.5) * 0x1.0p-53;
    }
}
