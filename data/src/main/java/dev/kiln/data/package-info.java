/**
 * Feeding training loops: {@link dev.kiln.data.Dataset} (indexed examples), {@link
 * dev.kiln.data.DataLoader} (batches, seeded and resumable shuffling, background prefetch),
 * {@link dev.kiln.data.Batch} and {@link dev.kiln.data.Collate}. Readers for the file formats live
 * in {@link dev.kiln.data.io}.
 */
package dev.kiln.data;
