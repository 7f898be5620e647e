package dev.kiln.data.crawl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import org.junit.jupiter.api.Test;

class CrawlUrlsTest {
    private static final URI BASE = URI.create("http://Example.COM/dir/page.html?x=1");

    @Test
    void normalisesSchemeHostPortFragment() {
        assertEquals("http://example.com/", CrawlUrls.normalise("HTTP://Example.COM:80"));
        assertEquals("https://example.com/a?q=1", CrawlUrls.normalise("https://example.com:443/a?q=1#frag"));
        assertEquals("http://example.com:8080/a", CrawlUrls.normalise("http://example.com:8080/a"));
        assertEquals("http://example.com/a/c", CrawlUrls.normalise("http://example.com/a/./b/../c"));
    }

    @Test
    void resolvesRelativeLinks() {
        assertEquals("http://example.com/dir/other.html", CrawlUrls.resolve(BASE, "other.html"));
        assertEquals("http://example.com/top", CrawlUrls.resolve(BASE, "/top"));
        assertEquals("http://example.com/up", CrawlUrls.resolve(BASE, "../up"));
        assertEquals("http://example.com/", CrawlUrls.resolve(BASE, "../../.."));
        assertEquals("http://other.org/x", CrawlUrls.resolve(BASE, "//other.org/x"), "scheme-relative");
        assertEquals("http://example.com/dir/a%20b", CrawlUrls.resolve(BASE, " a b "));
        assertEquals("http://example.com/dir/%C3%A9t%C3%A9", CrawlUrls.resolve(BASE, "été"));
    }

    @Test
    void dropsWhatIsNotAPageToFetch() {
        assertNull(CrawlUrls.resolve(BASE, "mailto:someone@example.com"));
        assertNull(CrawlUrls.resolve(BASE, "javascript:void(0)"));
        assertNull(CrawlUrls.resolve(BASE, "#top"));
        assertNull(CrawlUrls.resolve(BASE, ""));
        assertNull(CrawlUrls.resolve(BASE, "ftp://example.com/file"));
        assertNull(CrawlUrls.normalise("/relative/without/base"));
        assertNull(CrawlUrls.resolve(BASE, "http://[broken"));
    }

    @Test
    void originHostAndPath() {
        String u = "http://example.com:8080/a/b?c=d";
        assertEquals("http://example.com:8080", CrawlUrls.origin(u));
        assertEquals("example.com", CrawlUrls.host(u));
        assertEquals("/a/b?c=d", CrawlUrls.pathAndQuery(u));
    }
}
