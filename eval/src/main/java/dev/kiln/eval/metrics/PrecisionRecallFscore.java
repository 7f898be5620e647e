package dev.kiln.eval.metrics;

/** Precision, recall and F-score of one class or one average. */
public record PrecisionRecallFscore(double precision, double recall, double fscore) {}
