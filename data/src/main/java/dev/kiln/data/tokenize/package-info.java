/**
 * Byte-level BPE tokenization, GPT-2 style: {@link dev.kiln.data.tokenize.BpeTrainer} learns a
 * vocabulary from text, {@link dev.kiln.data.tokenize.BpeTokenizer} encodes and decodes (losslessly
 * for any Unicode text), and {@link dev.kiln.data.tokenize.TokenizerJson} reads and writes the
 * Hugging Face {@code tokenizer.json} format, so that vocabularies move between Kiln and other
 * tools. The pieces: {@link dev.kiln.data.tokenize.ByteAlphabet} (bytes as printable characters),
 * {@link dev.kiln.data.tokenize.Gpt2PreTokenizer} (the word split), the merge table and loop.
 */
package dev.kiln.data.tokenize;
