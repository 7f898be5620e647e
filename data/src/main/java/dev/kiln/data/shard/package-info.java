/**
 * Token shards for language-model training: {@link dev.kiln.data.shard.ShardWriter} writes token
 * ids into fixed-header little-endian files ({@link dev.kiln.data.shard.ShardFormat}) with a
 * {@code manifest.json} of counts and SHA-256s ({@link dev.kiln.data.shard.ShardManifest});
 * {@link dev.kiln.data.shard.ShardDataset} memory-maps and verifies them, and {@link
 * dev.kiln.data.shard.WindowSampler} draws seeded, uniformly distributed training windows as
 * {@code [batch, context + 1]} I64 tensors.
 */
package dev.kiln.data.shard;
