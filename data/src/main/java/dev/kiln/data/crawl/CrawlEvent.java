package dev.kiln.data.crawl;

/**
 * One thing that happened to one URL, for progress output and tests.
 *
 * @param url the URL (normalised)
 * @param kind what happened
 * @param detail a human-readable reason ("HTTP 404", "image/png", "Disallow by robots.txt", ...)
 */
public record CrawlEvent(String url, Kind kind, String detail) {
    /** Outcomes; {@link #FETCHED} is the only one that writes a record. */
    public enum Kind {
        FETCHED, REDIRECTED, RETRY, OFF_SCOPE, TOO_DEEP, ROBOTS, CONTENT_TYPE, TOO_LARGE, HTTP_ERROR, REDIRECT_LIMIT,
        FETCH_ERROR
    }
}
