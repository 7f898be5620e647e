/**
 * Generating sequences from a trained model: {@link dev.kiln.nn.generate.SequenceSearch} (greedy
 * and beam search over any {@link dev.kiln.nn.generate.NextTokenScorer}, all sources batched) and
 * {@link dev.kiln.nn.generate.EncoderDecoderScorer}, the scorer of an
 * {@link dev.kiln.nn.transformer.EncoderDecoder} with or without its incremental decoder's
 * key/value caches; {@link dev.kiln.nn.generate.DecodeScheduler}, continuous batching of sampled
 * completions ({@link dev.kiln.nn.generate.SamplingParams}, {@link dev.kiln.nn.generate.NucleusSampler})
 * over a {@link dev.kiln.nn.generate.DecodeModel} such as {@link dev.kiln.nn.generate.GptDecodeModel}.
 * What a training app and a model server both decode with.
 */
package dev.kiln.nn.generate;
