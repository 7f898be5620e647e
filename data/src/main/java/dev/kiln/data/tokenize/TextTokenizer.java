package dev.kiln.data.tokenize;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.CharVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code kiln train gpt} turns text into token ids and back ({@code --tokenizer char|bpe}),
 * what it records about it in the run directory, and how a later command ({@code kiln eval},
 * {@code kiln serve}) reads it back with {@link #ofRun}.
 *
 * <p>Thread-safety: both kinds are immutable once built; encode and decode may run on any thread.
 */
public sealed interface TextTokenizer {
    /** Number of ids. */
    int size();

    long[] encode(String text);

    String decode(long[] ids);

    /** What one token is, for messages: "characters" or "BPE tokens". */
    String unit();

    /** Writes the vocabulary into {@code runDir} and returns the file written. */
    Path save(Path runDir) throws IOException;

    /** Entries for the model file's metadata that say how to read its ids. */
    Map<String, String> metadata();

    /**
     * The tokenizer a gpt run used: the character list in its checkpoint metadata ({@code vocab}),
     * else the run's tokenizer.json (BPE).
     *
     * @throws IOException when neither is there, or the one there is malformed
     */
    static TextTokenizer ofRun(Path runDir, Map<String, String> metadata) throws IOException {
        if (metadata.containsKey("vocab")) {
            if (!(JsonFiles.parse(metadata.get("vocab"), "metadata vocab") instanceof List<?> list)) {
                throw new IOException(runDir + ": checkpoint metadata \"vocab\" is not a JSON list");
            }
            List<String> chars = new ArrayList<>();
            for (Object o : list) {
                chars.add(String.valueOf(o));
            }
            return new Chars(CharVocabulary.of(chars));
        }
        Path file = runDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException(runDir + ": no \"vocab\" in the checkpoint metadata and no tokenizer.json");
        }
        return new Bpe(BpeTokenizer.load(file));
    }

    /** The characters of the training text seen at least {@code minCount} times, plus the unknown token. */
    static TextTokenizer characters(String trainingText, int minCount) {
        return new Chars(CharVocabulary.build(trainingText, minCount));
    }

    /** A byte-level BPE of {@code vocabSize} ids learned from the training text; ids 0 is {@code <|endoftext|>}. */
    static TextTokenizer bpe(String trainingText, int vocabSize) {
        return new Bpe(new BpeTrainer(vocabSize, 2, List.of(Bpe.END_OF_TEXT)).add(trainingText).train());
    }

    /** One token per character ({@link CharVocabulary}); saved as vocab.json. */
    record Chars(CharVocabulary vocab) implements TextTokenizer {
        @Override
        public int size() {
            return vocab.size();
        }

        @Override
        public long[] encode(String text) {
            return vocab.encode(text);
        }

        @Override
        public String decode(long[] ids) {
            return vocab.decode(ids);
        }

        @Override
        public String unit() {
            return "characters";
        }

        @Override
        public Path save(Path runDir) throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("unknown_id", CharVocabulary.UNKNOWN);
            m.put("characters", new ArrayList<Object>(vocab.characters()));
            Path file = runDir.resolve("vocab.json");
            Files.writeString(file, JsonFiles.writePretty(m) + "\n");
            return file;
        }

        @Override
        public Map<String, String> metadata() {
            return Map.of("vocab", JsonFiles.write(vocab.characters()));
        }
    }

    /** Byte-level BPE ({@link BpeTokenizer}); saved as a Hugging Face tokenizer.json. */
    record Bpe(BpeTokenizer tokenizer) implements TextTokenizer {
        /** The special token between documents, id 0 of a vocabulary {@link #bpe} learned. */
        public static final String END_OF_TEXT = "<|endoftext|>";

        @Override
        public int size() {
            return tokenizer.vocabSize();
        }

        @Override
        public long[] encode(String text) {
            return Arrays.stream(tokenizer.encode(text)).asLongStream().toArray();
        }

        @Override
        public String decode(long[] ids) {
            int[] ints = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                ints[i] = Math.toIntExact(ids[i]);
            }
            return tokenizer.decode(ints);
        }

        @Override
        public String unit() {
            return "BPE tokens";
        }

        @Override
        public Path save(Path runDir) throws IOException {
            Path file = runDir.resolve("tokenizer.json");
            tokenizer.save(file);
            return file;
        }

        @Override
        public Map<String, String> metadata() {
            return Map.of("tokenizer", "byte-level BPE, Hugging Face tokenizer.json beside this file");
        }
    }
}
