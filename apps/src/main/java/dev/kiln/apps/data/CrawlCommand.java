package dev.kiln.apps.data;

import dev.kiln.data.crawl.CrawlConfig;
import dev.kiln.data.crawl.CrawlEvent;
import dev.kiln.data.crawl.Crawler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kiln data crawl}: a polite crawl of a few sites into a JSONL corpus of page texts. */
@Command(name = "crawl", mixinStandardHelpOptions = true,
        description = {"Crawl from seed URLs into JSONL records {url, final_url, fetched_at, status, content_type, title, text}.",
            "Stays on the seeds' hosts (and --allow-host), obeys robots.txt, waits --delay-ms (or the",
            "Crawl-delay) between requests to a host; the state in <out>.state.json lets --resume continue."})
final class CrawlCommand implements Callable<Integer> {
    @Option(names = "--seed", required = true, paramLabel = "URL", description = "A start URL (repeatable).")
    private List<String> seeds;

    @Option(names = "--allow-host", paramLabel = "HOST", description = "Another host in scope (repeatable).")
    private List<String> allowHosts = List.of();

    @Option(names = "--out", paramLabel = "FILE.jsonl", defaultValue = "crawl.jsonl",
            description = "The output (default: ${DEFAULT-VALUE}).")
    private Path out;

    @Option(names = "--max-pages", paramLabel = "N", defaultValue = "1000", description = "Most page requests (default: ${DEFAULT-VALUE}).")
    private int maxPages;

    @Option(names = "--max-depth", paramLabel = "D", defaultValue = "5", description = "Most links from a seed (default: ${DEFAULT-VALUE}).")
    private int maxDepth;

    @Option(names = "--delay-ms", paramLabel = "N", defaultValue = "1000",
            description = "Least milliseconds between requests to one host (default: ${DEFAULT-VALUE}).")
    private long delayMs;

    @Option(names = "--resume", description = "Continue the crawl whose state is <out>.state.json.")
    private boolean resume;

    @Option(names = "--quiet", description = "Print only the summary, not one line per URL.")
    private boolean quiet;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CrawlConfig config;
        try {
            config = CrawlConfig.builder(seeds).allowHosts(Set.copyOf(allowHosts)).maxPages(maxPages).maxDepth(maxDepth)
                    .delay(Duration.ofMillis(delayMs)).build();
        } catch (IllegalArgumentException e) {
            err.println("kiln data crawl: " + e.getMessage());
            return 2;
        }
        Crawler crawler = new Crawler(config, out, e -> {
            if (!quiet) {
                stdout.println(String.format("%-13s %s  %s", e.kind(), e.url(), e.detail()));
                stdout.flush();
            }
        });
        // Ctrl-C: let the requests in flight finish and the state be written (the JVM exits when the
        // hook returns, so it waits for run() to end), so that --resume loses nothing
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            crawler.stop();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kiln-crawl-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Crawler.Report r = crawler.run(resume);
            stdout.println("crawl " + (r.stopped() ? "stopped" : "done") + ": " + r.records() + " records in " + out + ", "
                    + r.pagesRequested() + " page requests, " + r.frontierLeft() + " URLs left; " + counts(r.counts()));
            stdout.flush();
            return 0;
        } catch (IOException e) {
            err.println("kiln data crawl: " + e.getMessage());
            return 1;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing to remove
            }
        }
    }

    private static String counts(Map<CrawlEvent.Kind, Long> counts) {
        StringBuilder sb = new StringBuilder();
        counts.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k.name().toLowerCase(Locale.ROOT)).append('=').append(v));
        return sb.toString();
    }
}
