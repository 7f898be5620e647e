package dev.kiln.data.dedup;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.parallel.CloseableIterator;
import dev.kiln.data.parallel.OrderedParallelMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Near-duplicate detection with MinHash and LSH. Each document is reduced to its {@link
 * Shingler shingles} and a {@link MinHasher} signature ({@link #signature}, thread-safe, so it
 * runs on every core); {@link #add} then, in stream order, looks the signature up in an
 * incremental {@link LshIndex}, verifies each candidate (see {@link Verification}), joins
 * verified pairs in a {@link UnionFind} and indexes the document.
 *
 * <p>Two results come out of it. <b>Streaming</b>: {@code add} returns whether the new document
 * matches an earlier one, and {@link #filter} drops such documents as they pass. <b>Clusters</b>:
 * after the last document, {@link #keepMask} keeps the first document of each connected cluster.
 * The two differ only when a later document links two earlier clusters: with A ~ C and B ~ C but
 * A ≁ B, streaming keeps A and B (C came last), clustering keeps only A.
 *
 * <p>A document with no shingles (empty text) is never a near-duplicate: leave it to the exact
 * deduplicator. Not thread-safe except {@link #signature}.
 */
public final class NearDuplicateDetector {
    /** Name of the report stage. */
    public static final String STAGE = "near-duplicates";

    /** How a candidate pair is confirmed. */
    public enum Verification {
        /**
         * The Jaccard similarity of the two shingle sets, exactly (over 64-bit shingle hashes).
         * Needs every indexed document's shingles in memory (8 bytes per distinct shingle).
         */
        EXACT,
        /**
         * The MinHash estimate (agreeing signature positions). Keeps only signatures in memory,
         * but a pair at exactly the threshold passes half of the time (standard deviation ≈ 0.035
         * at J = 0.8 with 128 permutations).
         */
        ESTIMATED
    }

    /**
     * Settings.
     *
     * @param shingler how documents become shingles
     * @param numPermutations signature length
     * @param threshold Jaccard similarity at or above which two documents are near-duplicates
     * @param minRecallAtThreshold the LSH banding makes a pair at the threshold a candidate with at
     *     least this probability ({@link LshParams#forThreshold})
     * @param verification how candidates are confirmed
     * @param seed the MinHash functions' seed
     * @param canonical applied to the text before shingling (default: lower-case)
     */
    public record Config(Shingler shingler, int numPermutations, double threshold, double minRecallAtThreshold,
            Verification verification, long seed, UnaryOperator<String> canonical) {
        /** 5-word shingles, 128 permutations, threshold 0.8, recall 0.99 at the threshold, exact verification. */
        public static final Config DEFAULT = new Config(Shingler.words(5), 128, 0.8, 0.99, Verification.EXACT, 42,
                s -> s.toLowerCase(Locale.ROOT));

        public Config {
            Objects.requireNonNull(shingler, "NearDuplicateDetector.Config: shingler");
            Objects.requireNonNull(verification, "NearDuplicateDetector.Config: verification");
            Objects.requireNonNull(canonical, "NearDuplicateDetector.Config: canonical");
            if (!(threshold > 0 && threshold < 1)) {
                throw new IllegalArgumentException("NearDuplicateDetector.Config: threshold must be in (0, 1), got "
                        + threshold);
            }
        }

        public Config withShingler(Shingler s) {
            return new Config(s, numPermutations, threshold, minRecallAtThreshold, verification, seed, canonical);
        }

        public Config withThreshold(double t) {
            return new Config(shingler, numPermutations, t, minRecallAtThreshold, verification, seed, canonical);
        }

        public Config withVerification(Verification v) {
            return new Config(shingler, numPermutations, threshold, minRecallAtThreshold, v, seed, canonical);
        }

        public Config withSeed(long s) {
            return new Config(shingler, numPermutations, threshold, minRecallAtThreshold, verification, s, canonical);
        }
    }

    /** A document's shingles (sorted, distinct hashes) and MinHash signature. */
    public record Signature(long[] shingles, long[] minHash) {}

    private final Config config;
    private final MinHasher hasher;
    private final LshIndex index;
    private final UnionFind clusters = new UnionFind();
    private final List<long[]> stored = new ArrayList<>(); // per document: shingles or signature (null when empty)
    private long candidatePairs;
    private long verifiedPairs;

    public NearDuplicateDetector(Config config) {
        this.config = Objects.requireNonNull(config, "NearDuplicateDetector: config");
        this.hasher = new MinHasher(config.numPermutations(), config.seed());
        this.index = new LshIndex(LshParams.forThreshold(config.threshold(), config.numPermutations(),
                config.minRecallAtThreshold()));
    }

    public Config config() {
        return config;
    }

    /** The banding chosen for the threshold. */
    public LshParams lshParams() {
        return index.params();
    }

    /** The shingles and signature of {@code text}. Thread-safe. */
    public Signature signature(String text) {
        long[] shingles = config.shingler().shingles(config.canonical().apply(text));
        return new Signature(shingles, hasher.signature(shingles));
    }

    /**
     * Registers the next document (index {@link #size()} before the call).
     *
     * @return the first document of the cluster it joined when it matches an earlier document,
     *     else -1
     */
    public int add(Signature signature) {
        Objects.requireNonNull(signature, "NearDuplicateDetector.add: signature");
        if (signature.minHash().length != config.numPermutations()) {
            throw new IllegalArgumentException("NearDuplicateDetector.add: signature has " + signature.minHash().length
                    + " entries, this detector uses " + config.numPermutations() + " permutations");
        }
        int doc = clusters.add();
        if (signature.shingles().length == 0) {
            stored.add(null);
            return -1;
        }
        boolean matched = false;
        for (int c : index.candidates(signature.minHash())) {
            if (clusters.find(c) == clusters.find(doc)) {
                continue; // already joined through another candidate: no need to verify
            }
            candidatePairs++;
            double similarity = config.verification() == Verification.EXACT
                    ? Shingler.jaccard(signature.shingles(), stored.get(c))
                    : MinHasher.estimatedJaccard(signature.minHash(), stored.get(c));
            if (similarity >= config.threshold()) {
                verifiedPairs++;
                clusters.union(c, doc);
                matched = true;
            }
        }
        index.add(doc, signature.minHash());
        stored.add(config.verification() == Verification.EXACT ? signature.shingles() : signature.minHash());
        return matched ? clusters.smallest(doc) : -1;
    }

    /** {@code add(signature(text))}. */
    public int add(String text) {
        return add(signature(text));
    }

    /** The number of documents added. */
    public int size() {
        return clusters.count();
    }

    /** The first document of {@code doc}'s cluster. */
    public int clusterOf(int doc) {
        return clusters.smallest(doc);
    }

    /** For each document added, whether it is the first of its cluster (the one deduplication keeps). */
    public boolean[] keepMask() {
        boolean[] keep = new boolean[size()];
        for (int d = 0; d < keep.length; d++) {
            keep[d] = clusters.smallest(d) == d;
        }
        return keep;
    }

    /** The clusters with more than one document, each ascending, ordered by their first document. */
    public List<int[]> clusters() {
        Map<Integer, List<Integer>> byFirst = new java.util.TreeMap<>();
        for (int d = 0; d < size(); d++) {
            if (clusters.setSize(d) > 1) {
                byFirst.computeIfAbsent(clusters.smallest(d), k -> new ArrayList<>()).add(d);
            }
        }
        List<int[]> out = new ArrayList<>();
        for (List<Integer> members : byFirst.values()) {
            out.add(members.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    /** Candidate pairs verified so far (pairs already in one cluster are not counted). */
    public long candidatePairs() {
        return candidatePairs;
    }

    /** Candidate pairs that passed verification. */
    public long verifiedPairs() {
        return verifiedPairs;
    }

    /**
     * The records of {@code records} that do not match an earlier record (the streaming rule), in
     * order; signatures are computed on {@code threads} threads. Counts go to stage {@link #STAGE}.
     */
    public <T> CloseableIterator<T> filter(Iterator<T> records, Function<? super T, String> textOf, FilterReport report,
            int threads) {
        Objects.requireNonNull(records, "NearDuplicateDetector.filter: records");
        Objects.requireNonNull(textOf, "NearDuplicateDetector.filter: textOf");
        FilterReport.Stage stage = Objects.requireNonNull(report, "NearDuplicateDetector.filter: report").stage(STAGE);
        String reason = "near duplicate (Jaccard >= " + config.threshold() + ")";
        CloseableIterator<Signed<T>> signed = OrderedParallelMap.map(records,
                r -> new Signed<>(r, signature(textOf.apply(r))), threads, 64);
        return signed.filter(s -> {
            stage.countSeen();
            if (add(s.signature()) >= 0) {
                stage.countRemoved(reason);
                return false;
            }
            return true;
        }).map(Signed::record);
    }

    private record Signed<T>(T record, Signature signature) {}
}
