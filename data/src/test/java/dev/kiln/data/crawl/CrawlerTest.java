package dev.kiln.data.crawl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.data.crawl.CrawlEvent.Kind;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The crawler against a small site served on 127.0.0.1 by the test itself. */
@Timeout(30)
class CrawlerTest {
    @TempDir
    Path dir;

    /** robots.txt Crawl-delay, longer than the configured delay, so the gaps below prove it is honoured. */
    private static final long CRAWL_DELAY_MS = 50;
    private static final long CONFIG_DELAY_MS = 10;
    private static final long RETRY_CAP_MS = 200;

    /** One request as the server saw it. */
    private record Hit(String host, String path, long startNanos, long endNanos, String userAgent) {}

    /** The site: every request logged; /busy answers 429 once; never more than one request in flight is checked. */
    private static final class Site implements AutoCloseable {
        final HttpServer server;
        final List<Hit> hits = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicInteger busyCalls = new AtomicInteger();
        final int port;

        Site() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/", this::handle);
            server.start();
            port = server.getAddress().getPort();
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        private void handle(HttpExchange ex) throws IOException {
            long start = System.nanoTime();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            String path = ex.getRequestURI().getRawPath();
            try {
                switch (path) {
                    case "/robots.txt" -> send(ex, 200, "text/plain", "User-agent: *\nDisallow: /private/\nCrawl-delay: "
                            + CRAWL_DELAY_MS / 1000.0 + "\n");
                    case "/" -> send(ex, 200, "text/html; charset=utf-8", """
                            <html><head><title>Home</title></head><body>
                            <nav><a href="/a">A</a></nav>
                            <p>Welcome home.</p>
                            <a href="/a#part">A again</a> <a href="b">B</a> <a href="/private/secret">secret</a>
                            <a href="http://localhost:%d/offsite">off host</a> <a href="/image.png">image</a>
                            <a href="/missing">missing</a> <a href="/busy">busy</a> <a href="/old">old</a>
                            <a href="mailto:me@example.com">mail</a>
                            </body></html>""".formatted(port));
                    case "/a" -> send(ex, 200, "text/html", "<title>Page A</title><header>Site</header><p>Alpha text.</p>"
                            + "<a href=\"/a/deep\">deep</a><footer>Copyright</footer>");
                    case "/a/deep" -> send(ex, 200, "text/html", "<p>Deep text.</p><a href=\"deeper\">deeper</a>");
                    case "/a/deeper" -> send(ex, 200, "text/html", "<p>Too deep.</p>");
                    case "/b" -> send(ex, 200, "text/plain; charset=iso-8859-1", "Bravo plain text.");
                    case "/old" -> {
                        ex.getResponseHeaders().add("Location", "/new");
                        send(ex, 301, "text/html", "moved");
                    }
                    case "/new" -> send(ex, 200, "text/html", "<title>New</title><p>New page.</p>");
                    case "/image.png" -> send(ex, 200, "image/png", "\u0089PNG");
                    case "/busy" -> {
                        if (busyCalls.getAndIncrement() == 0) {
                            ex.getResponseHeaders().add("Retry-After", "1"); // one second: cut to RETRY_CAP_MS
                            send(ex, 429, "text/plain", "slow down");
                        } else {
                            send(ex, 200, "text/html", "<p>Busy page, finally.</p>");
                        }
                    }
                    default -> send(ex, 404, "text/plain", "not found");
                }
            } finally {
                inFlight.decrementAndGet();
                hits.add(new Hit(ex.getRequestHeaders().getFirst("Host"), path, start, System.nanoTime(),
                        ex.getRequestHeaders().getFirst("User-Agent")));
            }
        }

        private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
            byte[] bytes = body.getBytes(type.contains("8859") ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", type);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }

        List<String> paths() {
            synchronized (hits) {
                return hits.stream().map(Hit::path).toList();
            }
        }

        @Override
        public void close() {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    private CrawlConfig.Builder config(Site site) {
        return CrawlConfig.builder(List.of(site.url("/")))
                .maxDepth(2)
                .delay(Duration.ofMillis(CONFIG_DELAY_MS))
                .maxRetryAfter(Duration.ofMillis(RETRY_CAP_MS))
                .connectTimeout(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(5));
    }

    private static List<Map<?, ?>> records(Path jsonl) throws IOException {
        List<Map<?, ?>> out = new ArrayList<>();
        for (Object o : JsonFiles.readLines(jsonl)) {
            out.add((Map<?, ?>) o);
        }
        return out;
    }

    @Test
    void crawlsTheSitePolitely() throws Exception {
        Path out = dir.resolve("crawl.jsonl");
        Map<String, CrawlEvent> events = Collections.synchronizedMap(new LinkedHashMap<>());
        Crawler.Report report;
        Instant before = Instant.now().minusMillis(1);
        try (Site site = new Site()) {
            report = new Crawler(config(site).build(), out, e -> events.put(e.kind() + " " + e.url(), e)).run(false);
            List<String> paths = site.paths();
            assertEquals(1, Collections.frequency(paths, "/robots.txt"), "robots.txt fetched once: " + paths);
            assertEquals("/robots.txt", paths.get(0), "robots.txt comes before any page");
            assertFalse(paths.contains("/private/secret"), "robots.txt disallows /private/");
            assertFalse(paths.contains("/a/deeper"), "beyond max depth");
            assertEquals(Set.of("/robots.txt", "/", "/a", "/b", "/a/deep", "/old", "/new", "/image.png", "/missing", "/busy"),
                    new HashSet<>(paths));
            assertEquals(2, Collections.frequency(paths, "/busy"), "429 then the retry");
            assertEquals(1, site.maxInFlight.get(), "never two requests at once to one host");
            for (Hit h : site.hits) {
                assertEquals("127.0.0.1:" + site.port, h.host(), "the off-host link was never followed");
                assertTrue(h.userAgent().startsWith("Kiln-crawler/"), h.userAgent());
            }
            List<Hit> hits = List.copyOf(site.hits);
            for (int i = 1; i < hits.size(); i++) {
                long gapMs = (hits.get(i).startNanos() - hits.get(i - 1).endNanos()) / 1_000_000;
                long least = hits.get(i - 1).path().equals("/busy") && i == indexOfFirst(hits, "/busy") + 1
                        ? Math.min(CRAWL_DELAY_MS, RETRY_CAP_MS) : CRAWL_DELAY_MS;
                assertTrue(gapMs >= least - 1, "gap before " + hits.get(i).path() + " was " + gapMs + " ms");
            }
            int first = indexOfFirst(hits, "/busy");
            int retry = paths.lastIndexOf("/busy");
            long retryGapMs = (hits.get(retry).startNanos() - hits.get(first).endNanos()) / 1_000_000;
            assertTrue(retryGapMs >= RETRY_CAP_MS - 1, "Retry-After (capped) respected: " + retryGapMs + " ms");
            assertTrue(retryGapMs < 1000, "Retry-After capped at " + RETRY_CAP_MS + " ms: " + retryGapMs + " ms");
        }
        String base = "http://127.0.0.1:";
        assertEquals(Kind.ROBOTS, only(events, Kind.ROBOTS).kind());
        assertTrue(only(events, Kind.ROBOTS).url().endsWith("/private/secret"));
        assertTrue(only(events, Kind.OFF_SCOPE).url().startsWith("http://localhost:"));
        assertTrue(only(events, Kind.TOO_DEEP).url().endsWith("/a/deeper"));
        assertEquals("image/png", only(events, Kind.CONTENT_TYPE).detail());
        assertEquals("HTTP 404", only(events, Kind.HTTP_ERROR).detail());
        assertTrue(only(events, Kind.HTTP_ERROR).url().endsWith("/missing"));
        assertTrue(only(events, Kind.RETRY).url().endsWith("/busy"));
        assertTrue(only(events, Kind.REDIRECTED).url().endsWith("/old"));

        List<Map<?, ?>> records = records(out);
        assertEquals(6, records.size());
        assertEquals(6, report.records());
        assertEquals(10, report.pagesRequested(), "/, a, b, a/deep, old, new, image.png, missing, busy twice; robots.txt not counted");
        Map<String, Map<?, ?>> byUrl = new LinkedHashMap<>();
        for (Map<?, ?> r : records) {
            String path = ((String) r.get("url")).replaceFirst("^http://127\\.0\\.0\\.1:\\d+", "");
            assertTrue(((String) r.get("url")).startsWith(base));
            Instant at = Instant.parse((String) r.get("fetched_at"));
            assertTrue(!at.isBefore(before) && !at.isAfter(Instant.now()), "fetched_at " + at);
            assertTrue(((String) r.get("fetched_at")).endsWith("Z"), "UTC");
            assertEquals(200L, r.get("status"));
            byUrl.put(path, r);
        }
        assertEquals(Set.of("/", "/a", "/b", "/a/deep", "/old", "/busy"), byUrl.keySet());
        assertEquals("Home", byUrl.get("/").get("title"));
        assertEquals("Welcome home.\n\nA again B secret off host image missing busy old mail", byUrl.get("/").get("text"));
        assertEquals("Page A", byUrl.get("/a").get("title"));
        assertEquals("Alpha text.\n\ndeep", byUrl.get("/a").get("text"), "header and footer trimmed");
        assertEquals("text/plain", byUrl.get("/b").get("content_type"));
        assertEquals("Bravo plain text.", byUrl.get("/b").get("text"));
        assertTrue(((String) byUrl.get("/old").get("final_url")).endsWith("/new"));
        assertEquals("New page.", byUrl.get("/old").get("text"));
        assertEquals("Busy page, finally.", byUrl.get("/busy").get("text"));
    }

    private static int indexOfFirst(List<Hit> hits, String path) {
        for (int i = 0; i < hits.size(); i++) {
            if (hits.get(i).path().equals(path)) {
                return i;
            }
        }
        return -1;
    }

    private static CrawlEvent only(Map<String, CrawlEvent> events, Kind kind) {
        List<CrawlEvent> of = events.values().stream().filter(e -> e.kind() == kind).toList();
        assertEquals(1, of.size(), kind + ": " + of);
        return of.get(0);
    }

    @Test
    void maxPagesAndDepthBoundTheCrawl() throws Exception {
        try (Site site = new Site()) {
            Crawler.Report r = new Crawler(config(site).maxPages(3).build(), dir.resolve("p.jsonl"), e -> {}).run(false);
            assertEquals(3, r.pagesRequested());
            assertEquals(3, site.paths().stream().filter(p -> !p.equals("/robots.txt")).count(), site.paths().toString());
        }
        try (Site site = new Site()) {
            Crawler.Report r = new Crawler(config(site).maxDepth(0).build(), dir.resolve("d.jsonl"), e -> {}).run(false);
            assertEquals(List.of("/robots.txt", "/"), site.paths());
            assertEquals(1, r.records());
            assertEquals(0, r.frontierLeft());
        }
    }

    @Test
    void resumeContinuesWithoutRefetchingOrDuplicates() throws Exception {
        Path full = dir.resolve("full.jsonl");
        List<String> fullPaths;
        try (Site site = new Site()) {
            new Crawler(config(site).build(), full, e -> {}).run(false);
            fullPaths = site.paths();
        }
        Set<String> fullUrls = finalPaths(records(full));

        Path out = dir.resolve("part.jsonl");
        try (Site site = new Site()) {
            CrawlConfig cfg = config(site).checkpointEvery(1).build();
            Crawler.Report first = new Crawler(CrawlConfig.builder(cfg.seeds()).maxDepth(2)
                    .delay(cfg.delay()).maxRetryAfter(cfg.maxRetryAfter()).checkpointEvery(1).maxPages(3).build(), out, e -> {})
                    .run(false);
            assertEquals(3, first.pagesRequested());
            assertTrue(first.frontierLeft() > 0);
            // a crash after the checkpoint leaves a record the state does not count and half a line
            Files.writeString(out, "{\"url\":\"http://127.0.0.1/written-after-checkpoint\"}\n{\"url\":\"half",
                    java.nio.file.StandardOpenOption.APPEND);
            IOException fresh = assertThrows(IOException.class, () -> new Crawler(cfg, out, e -> {}).run(false));
            assertTrue(fresh.getMessage().contains("--resume"), fresh.getMessage());

            new Crawler(cfg, out, e -> {}).run(true);
            List<String> paths = site.paths();
            assertEquals(1, Collections.frequency(paths, "/robots.txt"), "robots.txt kept in the state: " + paths);
            List<String> sortedFull = new ArrayList<>(fullPaths);
            List<String> sortedBoth = new ArrayList<>(paths);
            Collections.sort(sortedFull);
            Collections.sort(sortedBoth);
            assertEquals(sortedFull, sortedBoth, "no page fetched twice across the two runs");
        }
        List<Map<?, ?>> records = records(out);
        Set<String> urls = finalPaths(records);
        assertEquals(records.size(), urls.size(), "no duplicate records");
        assertEquals(fullUrls, urls);
    }

    private static Set<String> finalPaths(List<Map<?, ?>> records) {
        Set<String> s = new HashSet<>();
        for (Map<?, ?> r : records) {
            s.add(((String) r.get("final_url")).replaceFirst("^http://127\\.0\\.0\\.1:\\d+", ""));
        }
        return s;
    }

    @Test
    void resumeWithoutStateIsAClearError() {
        Path out = dir.resolve("none.jsonl");
        CrawlConfig cfg = CrawlConfig.builder(List.of("http://127.0.0.1:9/")).build();
        IOException e = assertThrows(IOException.class, () -> new Crawler(cfg, out, x -> {}).run(true));
        assertTrue(e.getMessage().contains("none.jsonl.state.json"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> CrawlConfig.builder(List.of("ftp://x/")).build());
        assertTrue(bad.getMessage().contains("ftp://x/"), bad.getMessage());
    }

    @Test
    void unreachableRobotsDisallowsTheHost() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed at once: nothing listens there
        }
        List<CrawlEvent> events = Collections.synchronizedList(new ArrayList<>());
        Crawler.Report r = new Crawler(CrawlConfig.builder(List.of("http://127.0.0.1:" + port + "/")).delay(Duration.ZERO)
                .connectTimeout(Duration.ofSeconds(2)).build(), dir.resolve("u.jsonl"), events::add).run(false);
        assertEquals(0, r.pagesRequested());
        assertEquals(List.of(Kind.ROBOTS), events.stream().map(CrawlEvent::kind).toList());
    }
}
