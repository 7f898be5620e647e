package dev.kiln.data.clean.tabular;

/** What {@link MissingValues} does with the missing values of a column. */
public enum MissingStrategy {
    /** Remove every row where this column is missing. */
    DROP,
    /** Replace missing values by the mean of the present ones (numeric columns only). */
    FILL_MEAN,
    /** Replace missing values by the median of the present ones (numeric columns only). */
    FILL_MEDIAN,
    /** Replace missing values by the most frequent present value (smallest on ties); numeric or categorical. */
    FILL_MODE,
    /**
     * Add a numeric indicator column {@code <name>_missing} (1 where missing, else 0) and leave the
     * values as they are; apply a fill afterwards to flag and impute.
     */
    FLAG
}
