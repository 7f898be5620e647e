/**
 * Cleaning text corpora: character-level normalisers ({@link dev.kiln.data.clean.TextNormalizers}:
 * invisible characters, NFKC, whitespace), boilerplate-line removal ({@link
 * dev.kiln.data.clean.BoilerplateLines}), document-quality filters after the Gopher paper ({@link
 * dev.kiln.data.clean.QualityFilters}, {@link dev.kiln.data.clean.RepetitionFilters}), each giving
 * a {@link dev.kiln.data.clean.Decision}, composed by {@link dev.kiln.data.clean.CleaningPipeline}
 * (parallel, order-preserving, streaming), with a {@link dev.kiln.data.clean.FilterReport} of what
 * every stage removed and why. Tabular cleaning (missing values, outliers) is in {@link
 * dev.kiln.data.clean.tabular}.
 */
package dev.kiln.data.clean;
