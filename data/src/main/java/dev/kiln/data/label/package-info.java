/**
 * Labels: reading and writing id → label files ({@link dev.kiln.data.label.LabelFiles}, CSV and
 * JSON Lines), weak supervision ({@link dev.kiln.data.label.LabelingFunction}s applied by {@link
 * dev.kiln.data.label.WeakLabeler} into a {@link dev.kiln.data.label.LabelMatrix} with majority vote
 * and Snorkel-style coverage, overlap and conflict statistics), and active learning ({@link
 * dev.kiln.data.label.UncertaintySampling}, {@link dev.kiln.data.label.ReviewFiles}: export the
 * least-confident examples for review, merge the reviewed labels back).
 */
package dev.kiln.data.label;
