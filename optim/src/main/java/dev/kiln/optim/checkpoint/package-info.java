/**
 * Training checkpoints: {@link dev.kiln.optim.checkpoint.CheckpointFile} (safetensors with a
 * SHA-256 checksum, written atomically), {@link dev.kiln.optim.checkpoint.TrainingCheckpoint}
 * (model, optimizer, schedule, random generators, step and extra state) and
 * {@link dev.kiln.optim.checkpoint.CheckpointDirectory} (keep the last K, resume from the newest
 * good one).
 */
package dev.kiln.optim.checkpoint;
