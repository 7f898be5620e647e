package dev.kiln.apps.data;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.dedup.ExactDeduplicator;
import dev.kiln.data.dedup.NearDuplicateDetector;
import dev.kiln.data.shard.ShardManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code kiln data prep} counts and reports: per-corpus and per-split counts, report.json,
 * and the console tables.
 */
final class PrepReport {
    private PrepReport() {}

    /** Per-corpus counts. */
    static final class SourceCounts {
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
    static final class SplitCounts {
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

    /** report.json: the corpora, per-source and per-split counts, filter and dedup results, stage timings, the files. */
    static Map<String, Object> json(List<String> corpora, Path root, Path dir, String tokenizerName,
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

    /** The console report: the same numbers as {@link #json} as tables, and what was written where. */
    static String table(Map<String, SourceCounts> perSource, FilterReport report, Map<String, SplitCounts> splits,
            StageClock clock, double wall, Path dir, int threads) {
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
