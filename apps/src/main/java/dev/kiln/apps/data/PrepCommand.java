package dev.kiln.apps.data;

import dev.kiln.apps.Plural;
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
import dev.kiln.data.shard.ShardManifest;
import dev.kiln.data.shard.ShardWriter;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.data.tokenize.BpeTrainer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
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
        stdout.printf(Locale.ROOT, "kiln data prep: %s (%s under %s) -> %s, %s%n",
                String.join(" + ", corpora), Plural.of(sources.size(), "file"), root, dir,
                Plural.of(threads, "thread"));
        stdout.flush();
        StageClock clock = new StageClock("read+parse", "clean", "exact hash", "minhash", "dedup index", "write jsonl",
                "bpe word count", "bpe merges", "encode", "write shards");
        FilterReport report = new FilterReport();
        Map<String, PrepReport.SourceCounts> perSource = new LinkedHashMap<>();
        corpora.forEach(c -> perSource.put(c, new PrepReport.SourceCounts()));
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
        boolean[] isVal = ShardEncoding.valSplit(kept, valFraction, seed);
        Map<String, PrepReport.SplitCounts> splits = new LinkedHashMap<>();
        String tokenizerName = trainer != null ? "tokenizer.json" : tokenizerFile.toString();
        ShardEncoding.encode(cleanFile, kept, tokenizer, eot.getAsInt(), tokenizerName, isVal, dir, splits, clock, shardTokens, threads);
        double pass3 = seconds(t);
        double wall = seconds(start);
        stdout.printf(Locale.ROOT, "pass 3 (encode, shards): %.1f s%n%n", pass3);

        Map<String, Double> walls = new LinkedHashMap<>();
        walls.put("cleanDedup", pass1);
        walls.put("tokenizer", pass2);
        walls.put("encode", pass3);
        walls.put("total", wall);
        Map<String, Object> json = PrepReport.json(corpora, root, dir, tokenizerName, perSource, report, splits, clock, walls);
        AtomicFiles.writeString(dir.resolve("report.json"), JsonFiles.writePretty(json) + "\n");
        stdout.print(PrepReport.table(perSource, report, splits, clock, wall, dir, threads));
        stdout.flush();
        return 0;
    }

    private long cleanAndDedup(List<RawCorpora.Source> sources, FilterReport report, Map<String, PrepReport.SourceCounts> perSource,
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
            clock.add("clean", t2 - t1, PrepReport.utf8Length(loaded.text()));
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
            long bytes = PrepReport.utf8Length(text);
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
                PrepReport.SourceCounts counts = perSource.get(source.corpus());
                counts.files++;
                counts.rawBytes += p.loaded().rawBytes();
                counts.malformed += p.loaded().text() == null ? 1 : 0;
                if (p.text() == null) {
                    continue;
                }
                long t0 = System.nanoTime();
                long bytes = PrepReport.utf8Length(p.text());
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

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
