/**
 * Cleaning tables: {@link dev.kiln.data.clean.tabular.ColumnTable} (numeric and categorical
 * columns, NaN/null for missing), {@link dev.kiln.data.clean.tabular.MissingValues} (drop, fill
 * with mean/median/mode, flag), {@link dev.kiln.data.clean.tabular.Outliers} (z-score, Tukey's IQR
 * fences) and {@link dev.kiln.data.clean.tabular.ColumnStats} (numpy-compatible quantiles).
 */
package dev.kiln.data.clean.tabular;
