package dev.kiln.apps.data;

import dev.kiln.apps.train.RunDirectory;
import dev.kiln.data.clean.CleaningPipeline;
import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.clean.TextFilter;
import dev.kiln.data.clean.TextNormalizer;
import dev.kiln.data.dedup.ContentHash;
import dev.kiln.data.dedup.ExactDeduplicator;
import dev.kiln.data.dedup.NearDuplicateDetector;
import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.parallel.CloseableIterator;
import dev.kiln.data.parallel.OrderedParallelMap;
import dev.kiln.data.shard.ShardDataset;
import dev.kiln.data.shard.ShardManifest;
import dev.kiln.data.shard.ShardWriter;
import dev.kiln.data.stream.JsonlReader;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.data.tokenize.BpeTrainer;
import dev.kiln.tensor.random.Generator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln data prep}: raw corpora to clean, deduplicated, tokenized shards, in three passes.
 *
 * <ol>
 *   <li><b>Clean and dedup</b> (streaming): files are read, converted to text ({@link RawCorpora}),
 *       cleaned ({@link CleaningPipeline#standard()}), hashed and MinHashed on {@code --threads}
 *       workers through {@link OrderedParallelMap}; on the consumer thread, in reading order,
 *       exact then near duplicates of earlier documents are dropped, and each kept document is
 *       appended to {@code clean.jsonl} and its words counted for the tokenizer.
 *   <li><b>Tokenizer</b>: byte-level BPE learned from those word counts ({@code --tokenizer} reuses one).
 *   <li><b>Encode</b> (streaming): {@code clean.jsonl} is re-read, encoded on the workers, and each
 *       document goes to {@code train/} or {@code val/} shards ({@code <|endoftext|>} before each
 *       document), by a seeded split of whole documents.
 * </ol>
 *
 * <p>Memory holds the file list, the dedup indexes and the word counts, never the corpus. The
 * outputs and the report are the same at any thread count: every decision is taken in reading
 * order on one thread.
 */
@Command(name = "prep", mixinStandardHelpOptions = true,
        description = "Clean, deduplicate and tokenize the raw corpora into train/val token shards, with a report.")
public final class PrepCommand implements Callable<Integer> {
    static final String END_OF_TEXT = "<|endoftext|>";
    static final String SPECIAL_STAGE = "special-tokens";
    static final String READ_STAGE = "read";

    @Option(names = "--corpus", paramLabel = "NAME", description = "brown, spam-assassin or all (default: ${DEFAULT-VALUE}).")
    String corpus = "all";

    @Option(names = "--data-dir", paramLabel = "DIR", description = "The data root (default: $KILN_DATA or ~/.kiln/data).")
    Path dataDir;

    @Option(names = "--out", paramLabel = "DIR", description = "The output directory (default: runs/prep-<yyyyMMdd-HHmmss>).")
    Path out;

    @Option(names = "--vocab-size", paramLabel = "N", description = "BPE vocabulary size, special token and 256 bytes included (default: ${DEFAULT-VALUE}).")
    int vocabSize = 8192;

    @Option(names = "--min-frequency", paramLabel = "N", description = "A pair seen fewer times is never merged (default: ${DEFAULT-VALUE}).")
    long minFrequency = 2;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Use this tokenizer.json (must have " + END_OF_TEXT + ") instead of training one.")
    Path tokenizerFile;

    @Option(names = "--shard-tokens", paramLabel = "N", description = "Most tokens per shard file (default: ${DEFAULT-VALUE}).")
    long shardTokens = ShardWriter.DEFAULT_MAX_TOKENS_PER_SHARD;

    @Option(names = "--val-fraction", paramLabel = "F", description = "Fraction of the kept documents in the validation split (default: ${DEFAULT-VALUE}).")
    double valFraction = 0.05;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the train/val split (default: ${DEFAULT-VALUE}).")
    long seed = 1234;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = OrderedParallelMap.defaultThreads();

    @Spec
    CommandSpec spec;

    /** A document after the worker's stages: dropped (null text) or cleaned with its dedup keys. */
    private record Processed(RawCorpora.Loaded loaded, String text, ContentHash hash, NearDuplicateDetector.Signature signature) {}

    /** Per-corpus counts. */
    private static final class SourceCounts {
        long files;
        long rawBytes;
        long malformed;
        long kept;
        long keptBytes;

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("files", files);
            m.put("rawBytes", rawBytes);
            m.put("malformed", malformed);
            m.put("keptDocuments", kept);
            m.put("keptBytes", keptBytes);
            return m;
        }
    }

    /** Per-split counts: documents, content tokens (end-of-text ids excluded), UTF-8 bytes. */
    private static final class SplitCounts {
        long documents;
        long tokens;
        long bytes;
        int shards;

        double tokensPerByte() {
            return bytes > 0 ? tokens / (double) bytes : 0;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("documents", documents);
            m.put("tokens", tokens);
            m.put("bytes", bytes);
            m.put("tokensPerByte", tokensPerByte());
            m.put("shards", shards);
            return m;
        }
    }

    @Override
    public Integer call() throws IOException {
        validate();
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Path root = DataCommand.root(dataDir);
        List<String> corpora = corpus.equals("all") ? RawCorpora.ALL : List.of(corpus);
        List<RawCorpora.Source> sources = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String c : corpora) {
            try {
                sources.addAll(RawCorpora.list(c, root));
            } catch (RawCorpora.MissingException e) {
                stderr.println("kiln data prep: the " + c + " corpus was not found: " + e.getMessage());
                missing.add("./kiln data fetch " + e.dataSet() + (dataDir != null ? " --data-dir " + dataDir : ""));
            }
        }
        if (!missing.isEmpty()) {
            stderr.println("fetch it with:  " + String.join("  &&  ", missing));
            stderr.flush();
            return 1;
        }
        if (tokenizerFile != null && !Files.isRegularFile(tokenizerFile)) {
            throw new ParameterException(spec.commandLine(), "--tokenizer " + tokenizerFile + " is not a file");
        }
        Path dir = RunDirectory.create(out, "prep", LocalDateTime.now()).path();
        for (String name : List.of("report.json", "clean.jsonl", "train/" + ShardManifest.FILE_NAME, "val/" + ShardManifest.FILE_NAME)) {
            if (Files.exists(dir.resolve(name))) {
                throw new ParameterException(spec.commandLine(), "--out " + dir + " already holds a prep run (" + name + "); choose another directory");
            }
        }
        return run(sources, corpora, root, dir, stdout);
    }

    private void validate() {
        if (!corpus.equals("all") && !RawCorpora.ALL.contains(corpus)) {
            throw new ParameterException(spec.commandLine(), "--corpus must be one of " + RawCorpora.ALL + " or all, got '" + corpus + "'");
        }
        if (threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        }
        if (vocabSize < 258) {
            throw new ParameterException(spec.commandLine(), "--vocab-size must be >= 258 (the end-of-text token and 256 bytes, plus one merge), got " + vocabSize);
        }
        if (shardTokens < 1) {
            throw new ParameterException(spec.commandLine(), "--shard-tokens must be >= 1, got " + shardTokens);
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new ParameterException(spec.commandLine(), "--val-fraction must be in [0, 1), got " + valFraction);
        }
    }

    private int run(List<RawCorpora.Source> sources, List<String> corpora, Path root, Path dir, PrintWriter stdout) throws IOException {
        long start = System.nanoTime();
        stdout.printf(Locale.ROOT, "kiln data prep: %s (%d files under %s) -> %s, %d threads%n",
                String.join(" + ", corpora), sources.size(), root, dir, threads);
        stdout.flush();
        StageClock clock = new StageClock("read+parse", "clean", "exact hash", "minhash", "dedup index", "write jsonl",
                "bpe word count", "bpe merges", "encode", "write shards");
        FilterReport report = new FilterReport();
        Map<String, SourceCounts> perSource = new LinkedHashMap<>();
        corpora.forEach(c -> perSource.put(c, new SourceCounts()));
        BpeTrainer trainer = tokenizerFile == null ? new BpeTrainer(vocabSize, minFrequency, List.of(END_OF_TEXT)) : null;

        // pass 1: read, clean, dedup -> clean.jsonl
        Path cleanFile = dir.resolve("clean.jsonl");
        long kept = cleanAndDedup(sources, report, perSource, clock, trainer, cleanFile);
        double pass1 = seconds(start);
        if (kept == 0) {
            throw new IOException("kiln data prep: no document survived cleaning and deduplication (" + report.input()
                    + " read); see the filter report:\n" + report.table());
        }
        stdout.printf(Locale.ROOT, "pass 1 (read, clean, dedup): %d of %d documents kept in %.1f s%n", kept, report.input(), pass1);
        stdout.flush();

        // pass 2: tokenizer
        long t = System.nanoTime();
        BpeTokenizer tokenizer;
        if (trainer != null) {
            tokenizer = trainer.train();
            clock.add("bpe merges", System.nanoTime() - t, 0);
        } else {
            tokenizer = BpeTokenizer.load(tokenizerFile);
        }
        OptionalInt eot = tokenizer.id(END_OF_TEXT);
        if (eot.isEmpty()) {
            throw new IOException("--tokenizer " + tokenizerFile + " has no " + END_OF_TEXT + " token, which the shards need between documents");
        }
        Path tokenizerOut = dir.resolve("tokenizer.json");
        tokenizer.save(tokenizerOut);
        double pass2 = seconds(t);
        stdout.printf(Locale.ROOT, "pass 2 (tokenizer): %d ids %s in %.1f s%n", tokenizer.vocabSize(),
                trainer != null ? "learned" : "from " + tokenizerFile, pass2);
        stdout.flush();

        // pass 3: encode -> shards
        t = System.nanoTime();
        boolean[] isVal = valSplit(kept);
        Map<String, SplitCounts> splits = new LinkedHashMap<>();
        String tokenizerName = trainer != null ? "tokenizer.json" : tokenizerFile.toString();
        encode(cleanFile, kept, tokenizer, eot.getAsInt(), tokenizerName, isVal, dir, splits, clock);
        double pass3 = seconds(t);
        double wall = seconds(start);
        stdout.printf(Locale.ROOT, "pass 3 (encode, shards): %.1f s%n%n", pass3);

        Map<String, Double> walls = new LinkedHashMap<>();
        walls.put("cleanDedup", pass1);
        walls.put("tokenizer", pass2);
        walls.put("encode", pass3);
        walls.put("total", wall);
        Map<String, Object> json = reportJson(corpora, root, dir, tokenizerName, perSource, report, splits, clock, walls);
        AtomicFiles.writeString(dir.resolve("report.json"), JsonFiles.writePretty(json) + "\n");
        stdout.print(table(perSource, report, splits, clock, wall, dir));
        stdout.flush();
        return 0;
    }

    private long cleanAndDedup(List<RawCorpora.Source> sources, FilterReport report, Map<String, SourceCounts> perSource,
            StageClock clock, BpeTrainer trainer, Path cleanFile) throws IOException {
        CleaningPipeline cleaning = CleaningPipeline.standard();
        ExactDeduplicator exact = new ExactDeduplicator();
        NearDuplicateDetector near = new NearDuplicateDetector(NearDuplicateDetector.Config.DEFAULT);
        // registered up front so the report lists the stages in pipeline order whatever thread counts first
        FilterReport.Stage read = report.stage(READ_STAGE);
        cleaning.normalizers().stream().map(TextNormalizer::name).forEach(report::stage);
        cleaning.filters().stream().map(TextFilter::name).forEach(report::stage);
        FilterReport.Stage special = report.stage(SPECIAL_STAGE);
        FilterReport.Stage exactStage = report.stage(ExactDeduplicator.STAGE);
        FilterReport.Stage nearStage = report.stage(NearDuplicateDetector.STAGE);
        String nearReason = "near duplicate (Jaccard >= " + near.config().threshold() + ")";

        Function<RawCorpora.Source, Processed> work = source -> {
            long t0 = System.nanoTime();
            RawCorpora.Loaded loaded;
            try {
                loaded = RawCorpora.load(source);
            } catch (IOException e) {
                throw new UncheckedIOException("kiln data prep: reading " + source.file(), e);
            }
            long t1 = System.nanoTime();
            clock.add("read+parse", t1 - t0, loaded.rawBytes());
            read.countSeen();
            if (loaded.text() == null) {
                read.countRemoved(loaded.malformed());
                return new Processed(loaded, null, null, null);
            }
            CleaningPipeline.Outcome outcome = cleaning.process(loaded.text(), report);
            long t2 = System.nanoTime();
            clock.add("clean", t2 - t1, utf8Length(loaded.text()));
            if (!outcome.kept()) {
                return new Processed(loaded, null, null, null);
            }
            String text = outcome.text();
            special.countSeen();
            if (text.contains(END_OF_TEXT)) {
                // inside a document it would be encoded as the separator and split the document in two
                special.countRemoved("contains " + END_OF_TEXT);
                return new Processed(loaded, null, null, null);
            }
            long bytes = utf8Length(text);
            ContentHash hash = exact.hash(text);
            long t3 = System.nanoTime();
            clock.add("exact hash", t3 - t2, bytes);
            NearDuplicateDetector.Signature signature = near.signature(text);
            clock.add("minhash", System.nanoTime() - t3, bytes);
            return new Processed(loaded, text, hash, signature);
        };

        long kept = 0;
        Path tmp = AtomicFiles.temporary(cleanFile);
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                CloseableIterator<Processed> docs = OrderedParallelMap.map(sources.iterator(), work, threads, 8)) {
            while (docs.hasNext()) {
                Processed p = docs.next();
                RawCorpora.Source source = p.loaded().source();
                SourceCounts counts = perSource.get(source.corpus());
                counts.files++;
                counts.rawBytes += p.loaded().rawBytes();
                counts.malformed += p.loaded().text() == null ? 1 : 0;
                if (p.text() == null) {
                    continue;
                }
                long t0 = System.nanoTime();
                long bytes = utf8Length(p.text());
                exactStage.countSeen();
                boolean drop = exact.add(p.hash()) >= 0;
                if (drop) {
                    exactStage.countRemoved("exact duplicate of an earlier document");
                } else {
                    nearStage.countSeen();
                    drop = near.add(p.signature()) >= 0;
                    if (drop) {
                        nearStage.countRemoved(nearReason);
                    }
                }
                long t1 = System.nanoTime();
                clock.add("dedup index", t1 - t0, bytes);
                if (drop) {
                    continue;
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("id", source.id());
                line.put("source", source.corpus());
                line.put("text", p.text());
                w.write(JsonFiles.write(line));
                w.write('\n');
                long t2 = System.nanoTime();
                clock.add("write jsonl", t2 - t1, bytes);
                if (trainer != null) {
                    trainer.add(p.text());
                    clock.add("bpe word count", System.nanoTime() - t2, bytes);
                }
                counts.kept++;
                counts.keptBytes += bytes;
                kept++;
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        AtomicFiles.publish(tmp, cleanFile);
        return kept;
    }

    /**
     * Which of the {@code n} kept documents go to validation: exactly {@code round(n × fraction)}
     * (at least one when the fraction is positive and there are two documents or more), chosen by
     * a seeded shuffle so the split depends only on {@code --seed} and the kept documents.
     */
    private boolean[] valSplit(long n) {
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

    private void encode(Path cleanFile, long kept, BpeTokenizer tokenizer, int eot, String tokenizerName, boolean[] isVal,
            Path dir, Map<String, SplitCounts> splits, StageClock clock) throws IOException {
        boolean anyVal = false;
        for (boolean v : isVal) {
            anyVal |= v;
        }
        splits.put("train", new SplitCounts());
        if (anyVal) {
            splits.put("val", new SplitCounts());
        }
        Function<Map<String, Object>, Encoded> work = record -> {
            String text = (String) record.get("text");
            long t0 = System.nanoTime();
            int[] ids = tokenizer.encode(text);
            long bytes = utf8Length(text);
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
                    SplitCounts s = splits.get(v ? "val" : "train");
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

    private static Map<String, Object> reportJson(List<String> corpora, Path root, Path dir, String tokenizerName,
            Map<String, SourceCounts> perSource, FilterReport report, Map<String, SplitCounts> splits, StageClock clock,
            Map<String, Double> walls) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("corpora", corpora);
        m.put("dataRoot", root.toString());
        m.put("out", dir.toString());
        m.put("tokenizer", tokenizerName);
        Map<String, Object> src = new LinkedHashMap<>();
        perSource.forEach((k, v) -> src.put(k, v.toJson()));
        m.put("sources", src);
        m.put("filters", report.toJson());
        m.put("exactDuplicates", report.stage(ExactDeduplicator.STAGE).removed());
        m.put("nearDuplicates", report.stage(NearDuplicateDetector.STAGE).removed());
        Map<String, Object> sp = new LinkedHashMap<>();
        splits.forEach((k, v) -> sp.put(k, v.toJson()));
        m.put("splits", sp);
        List<Object> stages = new ArrayList<>();
        for (StageClock.Totals s : clock.totals()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("stage", s.name());
            e.put("busySeconds", s.seconds());
            e.put("bytes", s.bytes());
            e.put("mbPerSecondPerThread", s.mbPerSecond());
            stages.add(e);
        }
        m.put("stages", stages);
        m.put("wallSeconds", walls);
        long raw = perSource.values().stream().mapToLong(c -> c.rawBytes).sum();
        m.put("overallMbPerSecond", raw / 1e6 / walls.get("total"));
        Map<String, Object> files = new LinkedHashMap<>();
        files.put("clean", dir.resolve("clean.jsonl").toString());
        files.put("tokenizer", dir.resolve("tokenizer.json").toString());
        splits.keySet().forEach(k -> files.put(k, dir.resolve(k).toString()));
        files.put("report", dir.resolve("report.json").toString());
        m.put("files", files);
        return m;
    }

    private String table(Map<String, SourceCounts> perSource, FilterReport report, Map<String, SplitCounts> splits,
            StageClock clock, double wall, Path dir) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-14s %8s %10s %10s %8s %10s%n", "source", "files", "malformed", "raw MB", "kept", "kept MB"));
        long raw = 0;
        for (Map.Entry<String, SourceCounts> e : perSource.entrySet()) {
            SourceCounts c = e.getValue();
            raw += c.rawBytes;
            sb.append(String.format(Locale.ROOT, "%-14s %8d %10d %10.2f %8d %10.2f%n", e.getKey(), c.files, c.malformed,
                    c.rawBytes / 1e6, c.kept, c.keptBytes / 1e6));
        }
        sb.append('\n').append(report.table());
        sb.append(String.format(Locale.ROOT, "%nexact duplicates removed: %d, near duplicates removed: %d%n%n",
                report.stage(ExactDeduplicator.STAGE).removed(), report.stage(NearDuplicateDetector.STAGE).removed()));
        sb.append(String.format(Locale.ROOT, "%-6s %10s %12s %12s %12s %7s%n", "split", "documents", "tokens", "bytes", "tokens/byte", "shards"));
        for (Map.Entry<String, SplitCounts> e : splits.entrySet()) {
            SplitCounts s = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-6s %10d %12d %12d %12.4f %7d%n", e.getKey(), s.documents, s.tokens, s.bytes,
                    s.tokensPerByte(), s.shards));
        }
        sb.append(String.format(Locale.ROOT, "%n%-16s %10s %10s %14s%n", "stage", "busy s", "MB in", "MB/s/thread"));
        for (StageClock.Totals s : clock.totals()) {
            sb.append(String.format(Locale.ROOT, "%-16s %10.2f %10.2f %14.1f%n", s.name(), s.seconds(), s.bytes() / 1e6, s.mbPerSecond()));
        }
        sb.append(String.format(Locale.ROOT, "overall: %.2f MB raw in %.1f s wall = %.2f MB/s on %d threads%n%n", raw / 1e6, wall,
                raw / 1e6 / wall, threads));
        sb.append("written to ").append(dir).append(":\n");
        sb.append("  clean.jsonl     cleaned, deduplicated documents (id, source, text)\n");
        sb.append("  tokenizer.json  byte-level BPE (Hugging Face format)\n");
        for (String split : splits.keySet()) {
            sb.append(String.format(Locale.ROOT, "  %-15s token shards + %s%n", split + "/", ShardManifest.FILE_NAME));
        }
        sb.append("  report.json     this report\n");
        return sb.toString();
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The UTF-8 length of {@code s} without encoding it; an unpaired surrogate counts 3, as the U+FFFD the tokenizer encodes. */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
