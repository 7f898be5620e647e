/**
 * Streaming readers for corpora larger than memory: {@link dev.kiln.data.stream.RecordReader}
 * (one record at a time, with a {@link dev.kiln.data.stream.SkipReport} of what was left out and
 * why), plain text by line or paragraph ({@link dev.kiln.data.stream.PlainTextReader}), JSON
 * Lines ({@link dev.kiln.data.stream.JsonlReader}) and CSV ({@link dev.kiln.data.stream.CsvReader}).
 *
 * <p>Gzip is recognised by its magic number and read member by member by a strict {@link
 * dev.kiln.data.stream.GzipMemberStream} (a truncated file is an error, never a silent end).
 * Bytes are split into records before decoding, so invalid UTF-8 costs one record: under the
 * default {@link dev.kiln.data.stream.Utf8Policy#REPORT} it is a counted skip. A malformed record
 * is a counted skip; input a reader cannot step over throws {@link
 * dev.kiln.data.io.MalformedDataException} naming the file and position, after every complete
 * record before it. The in-memory readers of {@link dev.kiln.data.io} remain for small files.
 */
package dev.kiln.data.stream;
