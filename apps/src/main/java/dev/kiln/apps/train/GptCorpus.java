package dev.kiln.apps.train;

import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.shard.ShardDataset;
import dev.kiln.data.shard.ShardManifest;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.data.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The tokenised corpus of {@code kiln train gpt}: training and validation documents, each side
 * concatenated into one stream of token ids.
 */
record GptCorpus(TextTokenizer vocab, long[] train, long[] val, int trainDocs, int valDocs) {
    /**
     * The corpus of a {@code kiln data prep} output: its BPE and the token streams of its train
     * and val shards (documents already separated by end-of-text ids), read whole after their
     * SHA-256 is checked.
     */
    static GptCorpus fromShards(Path dir, int context) throws IOException {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new NoSuchFileException(tokenizerFile + " (expected the output directory of kiln data prep)");
        }
        TextTokenizer vocab = new TextTokenizer.Bpe(BpeTokenizer.load(tokenizerFile));
        long[][] tokens = new long[2][];
        long[] documents = new long[2];
        String[] splits = {"train", "val"};
        for (int i = 0; i < 2; i++) {
            try (ShardDataset ds = ShardDataset.open(dir.resolve(splits[i]), ShardDataset.Verify.CHECKSUMS)) {
                ShardManifest m = ds.manifest();
                if (m.vocabSize() != vocab.size()) {
                    throw new MalformedDataException(dir.resolve(splits[i]) + ": the shards were written for a vocabulary of "
                            + m.vocabSize() + " ids, but " + tokenizerFile + " has " + vocab.size());
                }
                if (ds.totalTokens() > Integer.MAX_VALUE - 8) {
                    throw new MalformedDataException(dir.resolve(splits[i]) + ": " + ds.totalTokens()
                            + " tokens do not fit one array; kiln train gpt reads the shards whole");
                }
                tokens[i] = new long[(int) ds.totalTokens()];
                ds.read(0, tokens[i], 0, tokens[i].length);
                documents[i] = m.documents();
            }
        }
        if (tokens[0].length <= context || tokens[1].length <= context) {
            throw new IllegalArgumentException("kiln train gpt: windows of --context " + context + " + 1 need more text: "
                    + tokens[0].length + " training and " + tokens[1].length + " validation tokens in " + dir);
        }
        return new GptCorpus(vocab, tokens[0], tokens[1], (int) documents[0], (int) documents[1]);
    }

    /** Document {@code i} of {@code count} is held out: every tenth (the 10th, 20th, ...), or the last of fewer than ten. */
    static boolean isValidationDocument(int i, int count) {
        return count < 10 ? i == count - 1 : i % 10 == 9;
    }

    /**
     * Every tenth document (names in order, the 10th, 20th, ...) is validation; at least one of
     * each. {@code tokenizerOf} learns the vocabulary from the training text.
     */
    static GptCorpus split(List<BrownText.Document> docs, int context, Function<String, TextTokenizer> tokenizerOf) {
        if (docs.size() < 2) {
            throw new IllegalArgumentException("kiln train gpt: need at least 2 documents (1 train, 1 validation), got "
                    + docs.size());
        }
        StringBuilder train = new StringBuilder();
        StringBuilder val = new StringBuilder();
        int valDocs = 0;
        for (int i = 0; i < docs.size(); i++) {
            boolean isVal = isValidationDocument(i, docs.size());
            (isVal ? val : train).append(docs.get(i).text()).append('\n');
            valDocs += isVal ? 1 : 0;
        }
        TextTokenizer vocab = tokenizerOf.apply(train.toString());
        GptCorpus c = new GptCorpus(vocab, vocab.encode(train.toString()), vocab.encode(val.toString()),
                docs.size() - valDocs, valDocs);
        if (c.train.length <= context || c.val.length <= context) {
            throw new IllegalArgumentException("kiln train gpt: windows of --context " + context + " + 1 need more text: "
                    + c.train.length + " training and " + c.val.length + " validation " + vocab.unit());
        }
        return c;
    }
}
