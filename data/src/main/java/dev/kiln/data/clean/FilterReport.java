package dev.kiln.data.clean;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a cleaning run did: for each stage (normaliser, filter, dedup, tabular rule), how many
 * records it saw, removed (per reason) and modified. The run's input is what its first stage saw,
 * and its output the input less every removal, so stages chained one after another (cleaning,
 * then exact, then near deduplication) share one report and its totals stay right. Thread-safe:
 * workers count concurrently; the totals do not depend on the order, so a parallel run reports
 * exactly what a sequential one does. Stages are listed in the order they were first registered
 * with {@link #stage}.
 */
public final class FilterReport {
    private final Map<String, Stage> stages = new LinkedHashMap<>();

    /** The counters of the stage named {@code name}, created on first use. */
    public synchronized Stage stage(String name) {
        Objects.requireNonNull(name, "FilterReport.stage: name");
        return stages.computeIfAbsent(name, Stage::new);
    }

    /** The records that entered the run: those the first registered stage saw (0 before any stage). */
    public long input() {
        List<Stage> all = stages();
        return all.isEmpty() ? 0 : all.getFirst().seen();
    }

    /** The records that left the run: the input less every stage's removals. */
    public long output() {
        long out = input();
        for (Stage s : stages()) {
            out -= s.removed();
        }
        return out;
    }

    /** The stages, in registration order. */
    public synchronized List<Stage> stages() {
        return List.copyOf(stages.values());
    }

    /** The counters of one stage. */
    public static final class Stage {
        private final String name;
        private final LongAdder seen = new LongAdder();
        private final LongAdder modified = new LongAdder();
        private final ConcurrentHashMap<String, LongAdder> removed = new ConcurrentHashMap<>();

        private Stage(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        /** Counts a record reaching this stage. */
        public void countSeen() {
            seen.increment();
        }

        /** Counts a record this stage changed (and kept). */
        public void countModified() {
            modified.increment();
        }

        /** Counts a record this stage removed because of {@code reason}. */
        public void countRemoved(String reason) {
            removed.computeIfAbsent(reason, r -> new LongAdder()).increment();
        }

        /** Counts {@code n} records removed at once (a tabular rule dropping rows). */
        public void countRemoved(String reason, long n) {
            if (n < 0) {
                throw new IllegalArgumentException("FilterReport.Stage.countRemoved: n must be >= 0, got " + n);
            }
            if (n > 0) {
                removed.computeIfAbsent(reason, r -> new LongAdder()).add(n);
            }
        }

        /** Counts {@code n} records seen at once. */
        public void countSeen(long n) {
            seen.add(n);
        }

        /** Counts {@code n} records modified at once. */
        public void countModified(long n) {
            modified.add(n);
        }

        public long seen() {
            return seen.sum();
        }

        public long modified() {
            return modified.sum();
        }

        /** All records removed by this stage, whatever the reason. */
        public long removed() {
            long sum = 0;
            for (LongAdder a : removed.values()) {
                sum += a.sum();
            }
            return sum;
        }

        /** Removals per reason, most frequent first (ties by reason), so the listing is deterministic. */
        public Map<String, Long> removedByReason() {
            List<Map.Entry<String, Long>> entries = new ArrayList<>();
            removed.forEach((k, v) -> entries.add(Map.entry(k, v.sum())));
            entries.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                    .thenComparing(Map.Entry.comparingByKey()));
            Map<String, Long> out = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : entries) {
                out.put(e.getKey(), e.getValue());
            }
            return out;
        }
    }

    /**
     * The summary table: one row per stage (seen, removed, modified), its removal reasons indented
     * under it, and the run's totals at the end.
     */
    public String table() {
        List<Stage> all = stages();
        int width = "stage".length();
        for (Stage s : all) {
            width = Math.max(width, s.name().length());
            for (String reason : s.removedByReason().keySet()) {
                width = Math.max(width, reason.length() + 4);
            }
        }
        String rowFormat = "%-" + width + "s %12s %12s %12s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(rowFormat, "stage", "seen", "removed", "modified"));
        String rule = "-".repeat(width + 39) + "\n";
        sb.append(rule);
        for (Stage s : all) {
            sb.append(String.format(rowFormat, s.name(), count(s.seen()), count(s.removed()), count(s.modified())));
            for (Map.Entry<String, Long> e : s.removedByReason().entrySet()) {
                sb.append(String.format(rowFormat, "    " + e.getKey(), "", count(e.getValue()), ""));
            }
        }
        sb.append(rule);
        long in = input();
        long out = output();
        sb.append(String.format("input %s, output %s, removed %s (%.2f%%)%n", count(in), count(out), count(in - out),
                in == 0 ? 0.0 : 100.0 * (in - out) / in));
        return sb.toString();
    }

    private static String count(long n) {
        return String.format("%,d", n);
    }

    /** The report as JSON-ready maps: {@code {input, output, stages: [{name, seen, removed, modified, reasons}]}}. */
    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("input", input());
        root.put("output", output());
        List<Object> list = new ArrayList<>();
        for (Stage s : stages()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("seen", s.seen());
            m.put("removed", s.removed());
            m.put("modified", s.modified());
            m.put("reasons", new LinkedHashMap<String, Object>(s.removedByReason()));
            list.add(m);
        }
        root.put("stages", list);
        return root;
    }

    /** Writes {@link #toJson()} to {@code file} atomically. */
    public void writeJson(Path file) throws IOException {
        AtomicFiles.writeString(file, JsonFiles.writePretty(toJson()) + "\n");
    }

    @Override
    public String toString() {
        return table();
    }
}
