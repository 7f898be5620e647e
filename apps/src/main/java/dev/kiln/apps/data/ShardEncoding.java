package dev.kiln.apps.data;

import dev.kiln.data.parallel.CloseableIterator;
import dev.kiln.data.parallel.OrderedParallelMap;
import dev.kiln.data.shard.ShardDataset;
import dev.kiln.data.shard.ShardWriter;
import dev.kiln.data.stream.JsonlReader;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * The last pass of {@code kiln data prep}: the cleaned documents split (seeded) into training and
 * validation, tokenized, and written as token shards.
 */
final class ShardEncoding {
    private ShardEncoding() {}

    /**
     * Which of the {@code n} kept documents go to validation: exactly {@code round(n × fraction)}
     * (at least one when the fraction is positive and there are two documents or more), chosen by
     * a seeded shuffle so the split depends only on {@code --seed} and the kept documents.
     */
    static boolean[] valSplit(long n, double valFraction, long seed) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalStateException("kiln data prep: " + n + " documents is more than the split supports");
        }
        int count = (int) n;
        int nVal = valFraction > 0 && count >= 2 ? (int) Math.max(1, Math.round(count * valFraction)) : 0;
        nVal = Math.min(nVal, count - 1);
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Generator g = new Generator(seed);
        boolean[] isVal = new boolean[count];
        // partial Fisher-Yates: the first nVal positions end up a uniform sample
        for (int i = 0; i < nVal; i++) {
            int j = i + (int) Math.floor(g.nextDouble() * (count - i));
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
            isVal[order[i]] = true;
        }
        return isVal;
    }

    private record Encoded(int[] ids, long bytes) {}

    /**
     * Tokenizes the {@code kept} documents of {@code cleanFile} ({@code threads} in parallel, in
     * order) into {@code dir/train} and, when {@code isVal} has any, {@code dir/val}; counts each
     * split in {@code splits}, then verifies the written shards against their manifests.
     */
    static void encode(Path cleanFile, long kept, BpeTokenizer tokenizer, int eot, String tokenizerName, boolean[] isVal,
            Path dir, Map<String, PrepReport.SplitCounts> splits, StageClock clock, long shardTokens, int threads) throws IOException {
        boolean anyVal = false;
        for (boolean v : isVal) {
            anyVal |= v;
        }
        splits.put("train", new PrepReport.SplitCounts());
        if (anyVal) {
            splits.put("val", new PrepReport.SplitCounts());
        }
        Function<Map<String, Object>, Encoded> work = record -> {
            String text = (String) record.get("text");
            long t0 = System.nanoTime();
            int[] ids = tokenizer.encode(text);
            long bytes = PrepReport.utf8Length(text);
            clock.add("encode", System.nanoTime() - t0, bytes);
            return new Encoded(ids, bytes);
        };
        long index = 0;
        try (JsonlReader reader = JsonlReader.open(cleanFile);
                ShardWriter train = ShardWriter.create(dir.resolve("train"), tokenizerName, tokenizer.vocabSize(), eot, shardTokens);
                ShardWriter val = anyVal ? ShardWriter.create(dir.resolve("val"), tokenizerName, tokenizer.vocabSize(), eot, shardTokens) : null) {
            Iterator<Map<String, Object>> records = reader.iterator();
            try (CloseableIterator<Encoded> docs = OrderedParallelMap.map(records, work, threads, 32)) {
                while (docs.hasNext()) {
                    Encoded e = docs.next();
                    if (index >= kept) {
                        throw new IOException(cleanFile + " holds more documents than the " + kept + " written to it");
                    }
                    boolean v = isVal[(int) index++];
                    long t0 = System.nanoTime();
                    (v ? val : train).addDocument(e.ids());
                    clock.add("write shards", System.nanoTime() - t0, e.bytes());
                    PrepReport.SplitCounts s = splits.get(v ? "val" : "train");
                    s.documents++;
                    s.tokens += e.ids().length;
                    s.bytes += e.bytes();
                }
            }
            if (index != kept || reader.skips().total() > 0) {
                throw new IOException(cleanFile + " read back " + index + " documents, " + kept + " were written ("
                        + reader.skips() + ")");
            }
            splits.get("train").shards = train.finish().shards().size();
            if (val != null) {
                splits.get("val").shards = val.finish().shards().size();
            }
        }
        for (String split : splits.keySet()) {
            // the manifests are the commit: check that what they promise is what is on disk
            try (ShardDataset ds = ShardDataset.open(dir.resolve(split), ShardDataset.Verify.CHECKSUMS)) {
                ds.totalTokens();
            }
        }
    }
}
