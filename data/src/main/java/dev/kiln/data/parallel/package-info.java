/**
 * Running data-preparation stages on every core while streaming: {@link
 * dev.kiln.data.parallel.OrderedParallelMap} maps a stream on worker threads in bounded batches and
 * returns the results in input order, so a parallel run gives exactly the sequential output; {@link
 * dev.kiln.data.parallel.CloseableIterator} is the stream type the stages pass along.
 */
package dev.kiln.data.parallel;
