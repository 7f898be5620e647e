package dev.kiln.bench;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.data.tokenize.BpeTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench tokenize}: byte-level BPE on the Brown corpus, Kiln ({@link BpeTokenizer})
 * against Hugging Face {@code tokenizers} (Rust, through {@code python3 bench/python/tokenize_hf.py
 * --serve}). Kiln trains the vocabulary (timed) and saves it as tokenizer.json; Hugging Face loads
 * that file, checks that it gives Kiln's ids for every document, and trains on the same documents
 * (timed; it reports whether it learned the same merges). Then, per thread count, encoding all
 * documents is timed alternately for {@code --rounds} rounds, best pass counts: one thread encodes
 * document by document, more use Kiln's {@code encodeBatch} and Hugging Face's {@code encode_batch}.
 * "Warm" passes run with the word caches filled by earlier passes; "cold" is the first pass of a
 * freshly loaded tokenizer. MB/s counts the documents' UTF-8 bytes.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Byte-level BPE training and encoding speed on the Brown corpus, Kiln vs Hugging Face tokenizers.")
public final class TokenizeBench implements Callable<Integer> {
    private static final Pattern SECONDS = ReferenceProcess.field("seconds");
    private static final Pattern MISMATCHED = ReferenceProcess.field("mismatched");
    private static final Pattern FIRST = ReferenceProcess.field("first");
    private static final Pattern MERGES_EQUAL = ReferenceProcess.field("merges_equal");
    private static final Pattern DOC = Pattern.compile("c[a-r]\\d\\d");
    private static final String SPECIAL = "<|endoftext|>";

    @Option(names = "--data-dir", description = "The Brown corpus (default: ~/.kiln/data/brown).")
    Path dataDir = Path.of(System.getProperty("user.home"), ".kiln", "data", "brown");

    @Option(names = "--vocab-size", description = "Vocabulary size to train (default: ${DEFAULT-VALUE}).")
    int vocabSize = 8000;

    @Option(names = "--min-frequency", description = "Minimum pair count to merge (default: ${DEFAULT-VALUE}).")
    int minFrequency = 2;

    @Option(names = "--threads", split = ",", description = "Thread counts for encoding (default: ${DEFAULT-VALUE}).")
    int[] threads = {1, 2};

    @Option(names = "--rounds", description = "Alternating Kiln/Hugging Face rounds per thread count (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--samples", description = "Timed passes over the corpus per round (default: ${DEFAULT-VALUE}).")
    int samples = 3;

    @Option(names = "--python", description = "Python interpreter with tokenizers (default: ${DEFAULT-VALUE}).")
    String python = "python3";

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    @Override
    public Integer call() throws Exception {
        List<String> docs;
        try {
            docs = readBrown(dataDir);
        } catch (IOException e) {
            System.err.println("kiln bench tokenize: " + e.getMessage());
            return 1;
        }
        long bytes = 0;
        for (String d : docs) {
            bytes += d.getBytes(StandardCharsets.UTF_8).length;
        }
        double mb = bytes / 1e6;

        long t0 = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(vocabSize, minFrequency, List.of(SPECIAL));
        docs.forEach(trainer::add);
        BpeTokenizer tokenizer = trainer.train();
        double kilnTrain = (System.nanoTime() - t0) / 1e9;

        Path work = Files.createTempDirectory("kiln-bench-tokenize");
        List<String> notes = new ArrayList<>();
        try {
            Path tokenizerFile = work.resolve("tokenizer.json");
            tokenizer.save(tokenizerFile);
            Path docsFile = work.resolve("docs.jsonl");
            Path idsFile = work.resolve("kiln_ids.jsonl");
            writeJsonLines(docsFile, docs.stream().map(Object.class::cast).toList());
            List<Object> ids = new ArrayList<>();
            for (int[] row : tokenizer.encodeBatch(docs, Math.max(1, Runtime.getRuntime().availableProcessors()))) {
                ids.add(java.util.Arrays.stream(row).boxed().toList());
            }
            writeJsonLines(idsFile, ids);

            if (!json) {
                out.printf(Locale.ROOT, "Brown corpus: %d documents, %.2f MB of UTF-8; vocabulary %d (min frequency %d, %d merges)%n",
                        docs.size(), mb, tokenizer.vocabSize(), minFrequency, tokenizer.merges().size());
            }
            Path script = ReferenceProcess.findScript("tokenize_hf.py");
            boolean first = true;
            for (int t : threads) {
                if (t < 1) {
                    throw new IllegalArgumentException("--threads: thread counts must be >= 1, got " + t);
                }
                try (ReferenceProcess ref = ReferenceProcess.start("tokenizers", "tokenizers", python, script,
                        List.of("--tokenizer", tokenizerFile.toString(), "--docs", docsFile.toString(),
                                "--threads", Integer.toString(t)),
                        Map.of("RAYON_NUM_THREADS", Integer.toString(t), "TOKENIZERS_PARALLELISM", "true"), List.of())) {
                    if (first) {
                        first = false;
                        double[] check = ref.ask("{\"op\":\"check\",\"ids\":" + JsonFiles.write(idsFile.toString()) + "}", MISMATCHED, FIRST);
                        double[] hfTrain = ref.ask(String.format(Locale.ROOT,
                                "{\"op\":\"train\",\"vocab_size\":%d,\"min_frequency\":%d,\"special\":%s}",
                                vocabSize, minFrequency, JsonFiles.write(SPECIAL)), SECONDS, MERGES_EQUAL);
                        reportTraining(docs.size(), kilnTrain, hfTrain, check);
                        if (!json) {
                            out.printf("%7s %-5s %12s %12s %10s%n", "threads", "cache", "Kiln MB/s", "HF MB/s", "Kiln/HF");
                        }
                    }
                    Runnable kilnPass = t == 1 ? () -> docs.forEach(tokenizer::encode) : () -> tokenizer.encodeBatch(docs, t);
                    kilnPass.run(); // JIT warm-up, fills the word caches
                    kilnPass.run();
                    double kiln = Double.MAX_VALUE;
                    double hf = Double.MAX_VALUE;
                    for (int r = 0; r < rounds; r++) {
                        for (int s = 0; s < samples; s++) {
                            long k0 = System.nanoTime();
                            kilnPass.run();
                            kiln = Math.min(kiln, (System.nanoTime() - k0) / 1e9);
                        }
                        double[] h = ref.ask("{\"op\":\"encode\",\"samples\":" + samples + "}", SECONDS);
                        if (h != null) {
                            hf = Math.min(hf, h[0]);
                        }
                    }
                    report(t, "warm", mb, kiln, hf == Double.MAX_VALUE ? null : hf);
                    BpeTokenizer fresh = BpeTokenizer.load(tokenizerFile);
                    long c0 = System.nanoTime();
                    if (t == 1) {
                        docs.forEach(fresh::encode);
                    } else {
                        fresh.encodeBatch(docs, t);
                    }
                    double kilnCold = (System.nanoTime() - c0) / 1e9;
                    double[] hfCold = ref.ask("{\"op\":\"cold\"}", SECONDS);
                    report(t, "cold", mb, kilnCold, hfCold == null ? null : hfCold[0]);
                    if (ref.unavailable != null && !notes.contains(ref.unavailable)) {
                        notes.add(ref.unavailable);
                    }
                }
            }
        } finally {
            try (Stream<Path> s = Files.list(work)) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(work);
        }
        for (String note : notes) {
            (json ? System.err : System.out).println("note: " + note);
        }
        return 0;
    }

    private void reportTraining(int nDocs, double kilnSeconds, double[] hf, double[] check) {
        String agree = check == null ? "n/a" : check[0] == 0 ? "yes" : String.format(Locale.ROOT,
                "NO: %d documents differ, the first is %d", (int) check[0], (int) check[1]);
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"bpe_train\",\"kiln_s\":%.3f,\"hf_s\":%s,\"same_merges\":%s,\"same_ids\":%s}%n",
                    kilnSeconds, hf == null ? "null" : fmt(hf[0]), hf == null ? "null" : hf[1] == 1,
                    check == null ? "null" : check[0] == 0);
        } else {
            out.printf(Locale.ROOT, "training: Kiln %.2f s, Hugging Face %s; same merges: %s%n", kilnSeconds,
                    hf == null ? "n/a" : String.format(Locale.ROOT, "%.2f s", hf[0]), hf == null ? "n/a" : hf[1] == 1 ? "yes" : "NO");
            out.printf("Hugging Face with Kiln's tokenizer.json gives Kiln's ids for all %d documents: %s%n", nDocs, agree);
        }
    }

    private void report(int t, String cache, double mb, double kilnSeconds, Double hfSeconds) {
        double kiln = mb / kilnSeconds;
        Double hf = hfSeconds == null ? null : mb / hfSeconds;
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"bpe_encode\",\"threads\":%d,\"cache\":\"%s\",\"kiln_mb_s\":%.2f,\"hf_mb_s\":%s,\"ratio\":%s}%n",
                    t, cache, kiln, hf == null ? "null" : fmt(hf), hf == null ? "null" : fmt(kiln / hf));
        } else {
            out.printf(Locale.ROOT, "%7d %-5s %12.2f %12s %10s%n", t, cache, kiln, hf == null ? "n/a" : String.format(Locale.ROOT, "%.2f", hf),
                    hf == null ? "n/a" : String.format(Locale.ROOT, "%.2f", kiln / hf));
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static void writeJsonLines(Path file, List<Object> values) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Object v : values) {
            sb.append(JsonFiles.write(v)).append('\n');
        }
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    /**
     * The Brown documents as plain text, tags dropped ({@code Fulton/np-tl} becomes {@code Fulton}),
     * one sentence per line. The same conversion as the training apps' BrownText, which bench
     * cannot depend on.
     */
    static List<String> readBrown(Path dir) throws IOException {
        List<Path> files = List.of();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(p -> DOC.matcher(p.getFileName().toString()).matches()).sorted().toList();
            }
        }
        if (files.isEmpty()) {
            throw new IOException(dir + " holds no Brown documents (ca01 .. cr09): run ./kiln data fetch brown");
        }
        List<String> docs = new ArrayList<>();
        for (Path f : files) {
            StringBuilder sb = new StringBuilder();
            for (String line : Files.readString(f, StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (l.isEmpty()) {
                    continue;
                }
                String sep = "";
                for (String tok : l.split("\\s+")) {
                    int slash = tok.lastIndexOf('/');
                    sb.append(sep).append(slash > 0 ? tok.substring(0, slash) : tok);
                    sep = " ";
                }
                sb.append('\n');
            }
            docs.add(sb.toString());
        }
        return docs;
    }
}
