package dev.kiln.data.crawl;

import dev.kiln.data.crawl.CrawlEvent.Kind;
import dev.kiln.data.crawl.CrawlState.Entry;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A polite breadth-first crawler writing one JSONL record per accepted page:
 * {@code {url, final_url, fetched_at, status, content_type, title, text}} ({@code url} is the URL
 * as queued, {@code final_url} the one that answered after redirects, {@code fetched_at} ISO-8601
 * UTC). Each record is one write to the file, so a crash loses at most a partial last line.
 *
 * <p>Politeness: {@code workers} threads, but one request at a time per origin and at least
 * {@code delay} (or the robots.txt Crawl-delay) from the end of one request to the next there;
 * robots.txt is fetched once per origin before any page (2xx: obeyed; 4xx: everything allowed;
 * 429, 5xx or no answer: nothing allowed, as RFC 9309 and Google do); 429 and 503 answers are
 * retried after their Retry-After (capped), up to {@code maxRetries} times.
 *
 * <p>Resuming: every {@code checkpointEvery} completed pages and at the end, the output is forced
 * to disk and the state (frontier, seen URLs, robots answers, counts, and the number of records)
 * is written atomically to {@code <out>.state.json}. {@code run(true)} reloads it and cuts the
 * output back to that many records, so pages finished after the last checkpoint are fetched again
 * but never written twice.
 */
public final class Crawler {
    private final CrawlConfig config;
    private final Path out;
    private final Path stateFile;
    private final Consumer<CrawlEvent> listener;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private CrawlState state;
    private final Map<String, Host> hosts = new HashMap<>();
    private final List<Entry> inFlight = new ArrayList<>();
    private int active;
    private long completedSinceCheckpoint;
    private boolean stopped;
    private Throwable failure;
    private FileChannel output;

    /** Per-origin politeness state; {@code rules} null until robots.txt is known. */
    private static final class Host {
        RobotsTxt.Rules rules;
        boolean busy;
        long readyAtNanos = System.nanoTime(); // nanoTime values compare only by difference: no MIN_VALUE sentinel
    }

    /** What a worker does next: fetch robots.txt of {@code host}, or fetch {@code entry}. */
    private record Task(String origin, Host host, Entry entry) {}

    /** How a crawl ended. */
    public record Report(long pagesRequested, long records, Map<Kind, Long> counts, int frontierLeft, boolean stopped) {}

    /** {@code listener} sees every event, called with the crawler's lock held: keep it short. */
    public Crawler(CrawlConfig config, Path out, Consumer<CrawlEvent> listener) {
        this.config = config;
        this.out = out;
        this.stateFile = stateFile(out);
        this.listener = listener;
    }

    /** Where the state of a crawl writing {@code out} is kept. */
    public static Path stateFile(Path out) {
        return out.resolveSibling(out.getFileName() + ".state.json");
    }

    /**
     * Crawls until the frontier is empty, {@code maxPages} requests were made, or {@link #stop} was
     * called. A fresh crawl refuses to overwrite an existing output or state; {@code resume}
     * requires the state file.
     */
    public Report run(boolean resume) throws IOException, InterruptedException {
        if (resume) {
            if (!Files.exists(stateFile)) {
                throw new IOException("cannot resume: no crawl state " + stateFile + " (run without --resume to start)");
            }
            state = CrawlState.load(stateFile);
            truncateToRecords(out, state.records);
            state.robots.forEach((origin, r) -> host(origin).rules = rules(r.status(), r.body()));
        } else {
            if (Files.exists(out) || Files.exists(stateFile)) {
                throw new IOException("output " + out + " or state " + stateFile
                        + " already exists: use --resume to continue that crawl, or delete them to start over");
            }
            state = new CrawlState();
            for (String seed : config.seeds()) {
                if (state.seen.add(seed)) {
                    state.frontier.add(new Entry(seed, 0, seed, 0, 0));
                }
            }
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
                PageFetcher fetcher = new PageFetcher(config)) {
            output = ch;
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < config.workers(); w++) {
                workers.add(Thread.ofPlatform().name("kiln-crawl-" + w).start(() -> work(fetcher)));
            }
            try {
                for (Thread t : workers) {
                    t.join();
                }
            } catch (InterruptedException e) {
                stop();
                for (Thread t : workers) {
                    t.join();
                }
                throw e;
            } finally {
                lock.lock();
                try {
                    checkpoint();
                } finally {
                    lock.unlock();
                }
            }
        }
        if (failure != null) {
            throw new IOException("crawl failed: " + failure.getMessage(), failure);
        }
        lock.lock();
        try {
            return new Report(state.pagesRequested, state.records, new EnumMap<>(state.counts), state.frontier.size(), stopped);
        } finally {
            lock.unlock();
        }
    }

    /** Asks the workers to finish their requests and stop; {@link #run} then checkpoints and returns. */
    public void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void work(PageFetcher fetcher) {
        try {
            Task task;
            while ((task = claim()) != null) {
                if (task.entry == null) {
                    fetchRobots(fetcher, task);
                } else {
                    fetchPage(fetcher, task);
                }
            }
        } catch (Throwable t) {
            lock.lock();
            try {
                if (failure == null) {
                    failure = t;
                }
                stopped = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** The next task whose origin is idle and past its delay; waits for one; null when the crawl is over. */
    private Task claim() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (stopped || state.pagesRequested >= config.maxPages() || (state.frontier.isEmpty() && active == 0)) {
                    changed.signalAll();
                    return null;
                }
                long now = System.nanoTime();
                long wait = Long.MAX_VALUE;
                for (Iterator<Entry> it = state.frontier.iterator(); it.hasNext(); ) {
                    Entry e = it.next();
                    String origin = CrawlUrls.origin(e.url());
                    Host h = host(origin);
                    if (h.rules != null && !h.rules.allows(CrawlUrls.pathAndQuery(e.url()))) {
                        it.remove();
                        event(e.url(), Kind.ROBOTS, "disallowed by " + origin + "/robots.txt");
                        continue;
                    }
                    if (h.busy) {
                        continue;
                    }
                    if (h.readyAtNanos - now > 0) {
                        wait = Math.min(wait, h.readyAtNanos - now);
                        continue;
                    }
                    h.busy = true;
                    active++;
                    if (h.rules == null) {
                        return new Task(origin, h, null); // the entry stays queued until robots.txt is known
                    }
                    it.remove();
                    inFlight.add(e);
                    state.pagesRequested++;
                    return new Task(origin, h, e);
                }
                if (state.frontier.isEmpty() && active == 0) {
                    continue; // everything left was disallowed: the loop head ends the crawl
                }
                if (wait == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    changed.awaitNanos(wait);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void fetchRobots(PageFetcher fetcher, Task task) throws InterruptedException {
        String url = task.origin + "/robots.txt";
        int status = -1;
        String body = "";
        try {
            for (int hop = 0; hop <= 5; hop++) { // RFC 9309 section 2.3.1.2: follow at least five redirects
                PageFetcher.Response r = fetcher.get(url, null);
                status = r.status();
                String next = r.status() / 100 == 3 && r.location() != null ? CrawlUrls.resolve(URI.create(url), r.location()) : null;
                if (next == null) {
                    body = r.body() == null ? "" : r.body();
                    break;
                }
                url = next;
                status = 404; // too many redirects: treated as unavailable, like Google
            }
        } catch (IOException e) {
            status = -1;
        }
        lock.lock();
        try {
            task.host.rules = rules(status, body);
            if (status >= 200 && status < 500 && status != 429) {
                state.robots.put(task.origin, new CrawlState.Robots(status, status / 100 == 2 ? body : ""));
            } // a failure is not saved: a resumed crawl asks again
            release(task.host);
        } finally {
            lock.unlock();
        }
    }

    private RobotsTxt.Rules rules(int status, String body) {
        if (status / 100 == 2) {
            return RobotsTxt.parse(body).rulesFor(config.productToken());
        }
        if (status >= 400 && status < 500 && status != 429) {
            return RobotsTxt.Rules.ALLOW_ALL;
        }
        return RobotsTxt.Rules.DISALLOW_ALL;
    }

    /** Marks the host idle again, its next request allowed after the delay; call with the lock held. */
    private void release(Host h) {
        long delayNanos = config.delay().toNanos();
        if (h.rules != null) {
            delayNanos = Math.max(delayNanos, (long) (h.rules.crawlDelaySeconds() * 1e9));
        }
        long ready = System.nanoTime() + delayNanos;
        if (ready - h.readyAtNanos > 0) {
            h.readyAtNanos = ready;
        }
        h.busy = false;
        active--;
        changed.signalAll();
    }

    private void fetchPage(PageFetcher fetcher, Task task) throws IOException, InterruptedException {
        Entry e = task.entry;
        String fetchedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
        PageFetcher.Response r = null;
        String error = null;
        try {
            r = fetcher.get(e.url(), config.contentTypes());
        } catch (IOException ex) {
            error = ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
        }
        HtmlPage page = null;
        if (r != null && r.body() != null) {
            page = r.mediaType().equals("text/html") ? HtmlPage.parse(r.body(), e.url())
                    : new HtmlPage("", List.of(), r.body().strip());
        }
        lock.lock();
        try {
            inFlight.remove(e);
            boolean busyAnswer = r != null && (r.status() == 429 || r.status() == 503);
            if (busyAnswer) {
                retryLater(task.host, e, r); // before release: the Retry-After wait may outlast the delay
            }
            release(task.host);
            if (error != null) {
                event(e.url(), Kind.FETCH_ERROR, error);
            } else if (!busyAnswer) { // a busy answer was retried or reported by retryLater
                settle(e, r, page, fetchedAt);
            }
            if (++completedSinceCheckpoint >= config.checkpointEvery()) {
                checkpoint();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Reports or uses a finished response that is not a 429/503. */
    private void settle(Entry e, PageFetcher.Response r, HtmlPage page, String fetchedAt) throws IOException {
        if (r.status() / 100 == 3 && r.location() != null) {
            redirect(e, r.location());
        } else if (r.status() / 100 != 2) {
            event(e.url(), Kind.HTTP_ERROR, "HTTP " + r.status());
        } else if (!config.contentTypes().contains(r.mediaType())) {
            event(e.url(), Kind.CONTENT_TYPE, r.mediaType().isEmpty() ? "no content type" : r.mediaType());
        } else if (r.tooLarge()) {
            event(e.url(), Kind.TOO_LARGE, "body over " + config.maxBodyBytes() + " bytes");
        } else {
            accept(e, r, page, fetchedAt);
        }
    }

    private void retryLater(Host h, Entry e, PageFetcher.Response r) {
        if (e.attempts() >= config.maxRetries()) {
            event(e.url(), Kind.HTTP_ERROR, "HTTP " + r.status() + " after " + e.attempts() + " retries");
            return;
        }
        java.time.Duration wait = r.retryAfter() == null ? config.delay() : r.retryAfter();
        if (wait.compareTo(config.maxRetryAfter()) > 0) {
            wait = config.maxRetryAfter();
        }
        long ready = System.nanoTime() + wait.toNanos();
        if (ready - h.readyAtNanos > 0) {
            h.readyAtNanos = ready;
        }
        state.frontier.addFirst(new Entry(e.url(), e.depth(), e.origin(), e.hops(), e.attempts() + 1));
        event(e.url(), Kind.RETRY, "HTTP " + r.status() + ", retry in " + wait.toMillis() + " ms");
    }

    private void redirect(Entry e, String location) {
        String target = CrawlUrls.resolve(URI.create(e.url()), location);
        if (target == null) {
            event(e.url(), Kind.HTTP_ERROR, "redirect to a non-http(s) location " + location);
        } else if (e.hops() >= config.maxRedirects()) {
            event(e.url(), Kind.REDIRECT_LIMIT, "more than " + config.maxRedirects() + " redirects");
        } else if (!config.inScope(target)) {
            event(e.url(), Kind.OFF_SCOPE, "redirects off scope to " + target);
        } else if (!state.seen.add(target)) {
            event(e.url(), Kind.REDIRECTED, "to " + target + " (already queued)");
        } else {
            // the hop goes through the frontier, so robots.txt and the host's delay apply to it too
            state.frontier.addFirst(new Entry(target, e.depth(), e.origin(), e.hops() + 1, 0));
            event(e.url(), Kind.REDIRECTED, "to " + target);
        }
    }

    private void accept(Entry e, PageFetcher.Response r, HtmlPage page, String fetchedAt) throws IOException {
        for (String link : page.links()) {
            if (state.seen.contains(link)) {
                continue;
            }
            if (!config.inScope(link)) {
                state.seen.add(link); // reported once
                event(link, Kind.OFF_SCOPE, "host " + CrawlUrls.host(link) + " not in scope");
            } else if (e.depth() + 1 > config.maxDepth()) {
                event(link, Kind.TOO_DEEP, "depth " + (e.depth() + 1) + " > " + config.maxDepth());
            } else {
                state.seen.add(link);
                state.frontier.addLast(new Entry(link, e.depth() + 1, link, 0, 0));
            }
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("url", e.origin());
        record.put("final_url", e.url());
        record.put("fetched_at", fetchedAt);
        record.put("status", (long) r.status());
        record.put("content_type", r.mediaType());
        record.put("title", page.title());
        record.put("text", page.text());
        ByteBuffer line = ByteBuffer.wrap((JsonFiles.write(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (line.hasRemaining()) {
            output.write(line);
        }
        state.records++;
        event(e.url(), Kind.FETCHED, "HTTP " + r.status() + ", " + page.text().length() + " chars");
    }

    /** Forces the output to disk, then saves the state; call with the lock held. */
    private void checkpoint() throws IOException {
        if (output != null && output.isOpen()) {
            output.force(false);
        }
        state.save(stateFile, inFlight);
        completedSinceCheckpoint = 0;
    }

    private void event(String url, Kind kind, String detail) {
        state.count(kind);
        listener.accept(new CrawlEvent(url, kind, detail));
    }

    private Host host(String origin) {
        return hosts.computeIfAbsent(origin, o -> new Host());
    }

    /** Cuts {@code file} after its first {@code records} lines (what the state vouches for). */
    static void truncateToRecords(Path file, long records) throws IOException {
        if (!Files.exists(file)) {
            if (records == 0) {
                return;
            }
            throw new IOException("cannot resume: the state counts " + records + " records but " + file + " is missing");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long lines = 0;
            long pos = 0;
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long end = -1;
            while (lines < records) {
                buf.clear();
                int n = ch.read(buf, pos);
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n && lines < records; i++) {
                    if (buf.get(i) == '\n') {
                        lines++;
                        end = pos + i + 1;
                    }
                }
                pos += n;
            }
            if (lines < records) {
                throw new IOException("cannot resume: the state counts " + records + " records but " + file + " has only "
                        + lines + " complete lines");
            }
            ch.truncate(records == 0 ? 0 : end);
        }
    }
}
