package dev.kiln.apps.train;

import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The messages of {@code kiln train classify} as the model reads them: token ids per message, and
 * batches of them padded to their longest message, grouped by length so that little of a batch
 * is padding.
 */
final class SpamBatches {
    /** Messages per evaluation batch (no gradients, so larger than training batches). */
    static final int EVAL_BATCH = 64;
    /** Training batches are formed from pools of this many batches' worth of messages sorted by length. */
    static final int BUCKET_POOL_BATCHES = 50;

    private SpamBatches() {}

    /** A message as the model reads it: token ids (not padded), label, and where it came from. */
    record Encoded(SpamCorpus.Mail mail, long[] ids) {}

    /** Token ids [B, T] padded with {@link WordVocabulary#PAD}, labels [B], and the messages they came from. */
    record Batch(long[] ids, int rows, int length, long[] labels, List<Encoded> members) {
        Tensor idsTensor() {
            return Tensor.fromArray(ids, rows, length);
        }

        Tensor labelsTensor() {
            return Tensor.fromArray(labels, rows);
        }
    }

    static Batch batch(List<Encoded> members) {
        int t = members.stream().mapToInt(e -> e.ids().length).max().orElse(1);
        long[] ids = new long[members.size() * t]; // zeros: PAD
        long[] labels = new long[members.size()];
        for (int i = 0; i < members.size(); i++) {
            long[] row = members.get(i).ids();
            System.arraycopy(row, 0, ids, i * t, row.length);
            labels[i] = members.get(i).mail().label();
        }
        return new Batch(ids, members.size(), t, labels, members);
    }

    /**
     * One epoch's training batches: the messages shuffled, cut into pools of {@link
     * #BUCKET_POOL_BATCHES} batches, each pool sorted by length and cut into batches, and the
     * batches shuffled. Similar lengths share a batch (little padding) while the order stays random.
     */
    static List<Batch> trainingBatches(List<Encoded> train, int batchSize, Generator g) {
        List<Encoded> order = new ArrayList<>(train);
        SpamCorpus.shuffle(order, g);
        List<Batch> batches = new ArrayList<>();
        int pool = batchSize * BUCKET_POOL_BATCHES;
        for (int from = 0; from < order.size(); from += pool) {
            List<Encoded> chunk = new ArrayList<>(order.subList(from, Math.min(order.size(), from + pool)));
            chunk.sort(Comparator.comparingInt(e -> e.ids().length));
            for (int b = 0; b < chunk.size(); b += batchSize) {
                batches.add(batch(chunk.subList(b, Math.min(chunk.size(), b + batchSize))));
            }
        }
        SpamCorpus.shuffle(batches, g);
        return batches;
    }

    /** Evaluation batches: by length, so padding is small; the order does not matter. */
    static List<Batch> evalBatches(List<Encoded> messages) {
        List<Encoded> sorted = new ArrayList<>(messages);
        sorted.sort(Comparator.comparingInt(e -> e.ids().length));
        List<Batch> out = new ArrayList<>();
        for (int b = 0; b < sorted.size(); b += EVAL_BATCH) {
            out.add(batch(sorted.subList(b, Math.min(sorted.size(), b + EVAL_BATCH))));
        }
        return out;
    }

    /** Each mail's text as word ids, cut to its first {@code maxTokens} tokens. */
    static List<Encoded> encode(List<SpamCorpus.Mail> mails, WordVocabulary vocab, int maxTokens) {
        List<Encoded> out = new ArrayList<>(mails.size());
        for (SpamCorpus.Mail m : mails) {
            out.add(new Encoded(m, vocab.encode(WordVocabulary.tokenize(m.text()), maxTokens)));
        }
        return out;
    }
}
