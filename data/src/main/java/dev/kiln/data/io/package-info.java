/**
 * Readers for the file formats datasets come in: IDX ({@link dev.kiln.data.io.IdxReader}), JSON and
 * JSON Lines ({@link dev.kiln.data.io.JsonFiles}, over Jackson), text ({@link dev.kiln.data.io.TextFile})
 * and tar.gz archives ({@link dev.kiln.data.io.TarReader}); CSV is {@code data.stream}'s
 * {@code CsvReader} and {@code CsvTable}.
 * Gzipped files are recognised by their magic number and decompressed on the fly. Malformed input
 * raises {@link dev.kiln.data.io.MalformedDataException} naming the file and where in it.
 */
package dev.kiln.data.io;
