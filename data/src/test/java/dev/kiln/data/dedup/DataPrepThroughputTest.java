package dev.kiln.data.dedup;

import dev.kiln.data.clean.CleaningPipeline;
import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.parallel.CloseableIterator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput of cleaning and deduplication on the planted corpus (about 4.5 MB of 100–300-word
 * documents), printed, not asserted. Run with
 * {@code mvn -o -q -pl data -am verify -Dtest=DataPrepThroughputTest -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.bench=true}.
 */
@EnabledIfSystemProperty(named = "kiln.bench", matches = "true")
class DataPrepThroughputTest {
    private interface Run {
        long docs(int threads);
    }

    private static void measure(String what, List<String> docs, int threads, Run run) {
        long bytes = docs.stream().mapToLong(s -> s.getBytes(StandardCharsets.UTF_8).length).sum();
        run.docs(threads); // warm-up
        double best = Double.POSITIVE_INFINITY;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            run.docs(threads);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("%-28s threads=%d  %8.0f docs/s  %6.2f MB/s%n", what, threads, docs.size() / best, bytes / 1e6 / best);
    }

    @Test
    void printCostPerStage() {
        List<String> docs = NearDuplicateDetectorTest.plant(1, 3000, 400, 200).docs();
        CleaningPipeline p = CleaningPipeline.standard();
        for (int rep = 0; rep < 3; rep++) {
            StringBuilder line = new StringBuilder("per-stage microseconds/doc:");
            for (var n : p.normalizers()) {
                long t0 = System.nanoTime();
                for (String d : docs) {
                    n.normalize(d);
                }
                line.append(String.format(" %s=%.1f", n.name(), (System.nanoTime() - t0) / 1e3 / docs.size()));
            }
            for (var f : p.filters()) {
                long t0 = System.nanoTime();
                for (String d : docs) {
                    f.decide(new dev.kiln.data.clean.TextParts(d));
                }
                line.append(String.format(" %s=%.1f", f.name(), (System.nanoTime() - t0) / 1e3 / docs.size()));
            }
            if (rep == 2) {
                System.out.println(line);
            }
        }
    }

    @Test
    void printThroughput() {
        List<String> docs = NearDuplicateDetectorTest.plant(1, 3000, 400, 200).docs();
        for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
            measure("clean (standard pipeline)", docs, threads, t -> {
                long n = 0;
                try (CloseableIterator<String> it = CleaningPipeline.standard().clean(docs.iterator(), new FilterReport(), t)) {
                    while (it.hasNext()) {
                        it.next();
                        n++;
                    }
                }
                return n;
            });
            measure("exact dedup", docs, threads, t -> {
                long n = 0;
                try (CloseableIterator<String> it = new ExactDeduplicator().filter(docs.iterator(), s -> s, new FilterReport(), t)) {
                    while (it.hasNext()) {
                        it.next();
                        n++;
                    }
                }
                return n;
            });
            measure("near dedup (MinHash+LSH)", docs, threads, t -> {
                long n = 0;
                try (CloseableIterator<String> it = new NearDuplicateDetector(NearDuplicateDetector.Config.DEFAULT)
                        .filter(docs.iterator(), s -> s, new FilterReport(), t)) {
                    while (it.hasNext()) {
                        it.next();
                        n++;
                    }
                }
                return n;
            });
        }
    }
}
