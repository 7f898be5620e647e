/**
 * Deduplication: exact ({@link dev.kiln.data.dedup.ExactDeduplicator}, a 128-bit SHA-256 prefix of
 * the canonical text) and near-duplicate ({@link dev.kiln.data.dedup.NearDuplicateDetector}:
 * {@link dev.kiln.data.dedup.Shingler} shingles, {@link dev.kiln.data.dedup.MinHasher} signatures,
 * {@link dev.kiln.data.dedup.LshIndex} banding chosen by {@link dev.kiln.data.dedup.LshParams},
 * verification, {@link dev.kiln.data.dedup.UnionFind} clusters). Signatures are computed in
 * parallel; the index is incremental, so both stream.
 */
package dev.kiln.data.dedup;
