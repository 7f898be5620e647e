/**
 * Small closed vocabularies, token to id and back: {@link dev.kiln.data.vocab.CharVocabulary}
 * (characters, rare ones unknown), {@link dev.kiln.data.vocab.WordVocabulary} (lower-cased words
 * with padding and unknown ids, and its tokenizer) and {@link dev.kiln.data.vocab.TokenVocabulary}
 * (special tokens followed by a fixed symbol set, e.g. letters or phones). Subword vocabularies
 * are {@code dev.kiln.data.tokenize}'s.
 */
package dev.kiln.data.vocab;
