package dev.kiln.data.crawl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What to crawl and how politely. Build with {@link #builder}; the defaults suit a real site.
 *
 * @param seeds start URLs (normalised by {@link CrawlUrls}), depth 0
 * @param allowHosts hosts in scope besides the seeds' hosts (exact, lower-case host names)
 * @param maxPages the most page requests (redirect hops and retries count, robots.txt does not)
 * @param maxDepth the most links followed from a seed (0: the seeds only)
 * @param delay the least time between the end of one request to a host and the start of the next
 *     (a robots.txt Crawl-delay that is longer wins)
 * @param workers requests in flight at once, never two to one host
 * @param contentTypes accepted media types ("text/html", ...); others are skipped unread
 * @param userAgent the User-Agent header
 * @param productToken the name robots.txt groups are matched against
 * @param connectTimeout TCP connect timeout
 * @param requestTimeout the limit for one request until the response headers
 * @param maxBodyBytes larger bodies are skipped
 * @param maxRedirects redirect hops followed from one URL
 * @param maxRetries retries of a URL answered 429 or 503
 * @param maxRetryAfter the longest Retry-After honoured (a longer one is cut to this)
 * @param checkpointEvery write the state file after this many completed pages (and at the end)
 */
public record CrawlConfig(List<String> seeds, Set<String> allowHosts, int maxPages, int maxDepth, Duration delay,
        int workers, Set<String> contentTypes, String userAgent, String productToken, Duration connectTimeout,
        Duration requestTimeout, long maxBodyBytes, int maxRedirects, int maxRetries, Duration maxRetryAfter,
        int checkpointEvery) {

    public CrawlConfig {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("CrawlConfig: no seed URL given");
        }
        List<String> normal = new ArrayList<>();
        for (String s : seeds) {
            String u = CrawlUrls.normalise(s);
            if (u == null) {
                throw new IllegalArgumentException("CrawlConfig: seed '" + s + "' is not an absolute http(s) URL");
            }
            normal.add(u);
        }
        seeds = List.copyOf(normal);
        allowHosts = Set.copyOf(allowHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList());
        contentTypes = Set.copyOf(contentTypes.stream().map(t -> t.toLowerCase(Locale.ROOT)).toList());
        positive("maxPages", maxPages);
        if (maxDepth < 0) {
            throw new IllegalArgumentException("CrawlConfig: maxDepth must be >= 0, got " + maxDepth);
        }
        positive("workers", workers);
        positive("maxBodyBytes", maxBodyBytes);
        positive("checkpointEvery", checkpointEvery);
        if (maxRedirects < 0 || maxRetries < 0) {
            throw new IllegalArgumentException("CrawlConfig: maxRedirects and maxRetries must be >= 0, got "
                    + maxRedirects + " and " + maxRetries);
        }
        if (delay.isNegative() || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("CrawlConfig: delays must be >= 0, got delay " + delay
                    + " and maxRetryAfter " + maxRetryAfter);
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("CrawlConfig: " + name + " must be > 0, got " + value);
        }
    }

    /** The hosts in scope: the seeds' and the allow-list's. */
    public boolean inScope(String url) {
        String host = CrawlUrls.host(url);
        return allowHosts.contains(host) || seeds.stream().anyMatch(s -> CrawlUrls.host(s).equals(host));
    }

    public static Builder builder(List<String> seeds) {
        return new Builder(seeds);
    }

    /** Defaults: 1000 pages, depth 5, 1 s delay, 2 workers, text/html and text/plain, 10 MiB bodies. */
    public static final class Builder {
        private final List<String> seeds;
        private Set<String> allowHosts = Set.of();
        private int maxPages = 1000;
        private int maxDepth = 5;
        private Duration delay = Duration.ofSeconds(1);
        private int workers = 2;
        private Set<String> contentTypes = Set.of("text/html", "text/plain");
        private String userAgent = "Kiln-crawler/0.1 (+https://github.com/kiln; polite data crawler)";
        private String productToken = "kiln-crawler";
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private long maxBodyBytes = 10L << 20;
        private int maxRedirects = 5;
        private int maxRetries = 2;
        private Duration maxRetryAfter = Duration.ofSeconds(120);
        private int checkpointEvery = 20;

        private Builder(List<String> seeds) {
            this.seeds = List.copyOf(seeds);
        }

        public Builder allowHosts(Set<String> v) { allowHosts = v; return this; }
        public Builder maxPages(int v) { maxPages = v; return this; }
        public Builder maxDepth(int v) { maxDepth = v; return this; }
        public Builder delay(Duration v) { delay = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder contentTypes(Set<String> v) { contentTypes = v; return this; }
        public Builder userAgent(String v) { userAgent = v; return this; }
        public Builder productToken(String v) { productToken = v; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder maxBodyBytes(long v) { maxBodyBytes = v; return this; }
        public Builder maxRedirects(int v) { maxRedirects = v; return this; }
        public Builder maxRetries(int v) { maxRetries = v; return this; }
        public Builder maxRetryAfter(Duration v) { maxRetryAfter = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }

        public CrawlConfig build() {
            return new CrawlConfig(seeds, allowHosts, maxPages, maxDepth, delay, workers, contentTypes, userAgent,
                    productToken, connectTimeout, requestTimeout, maxBodyBytes, maxRedirects, maxRetries, maxRetryAfter,
                    checkpointEvery);
        }
    }
}
