/**
 * A polite crawler for gathering domain text: seed URLs, a same-host or allow-list scope,
 * {@code robots.txt} obeyed (RFC 9309, {@link dev.kiln.data.crawl.RobotsTxt}), one request at a
 * time per host with a minimum delay (and Crawl-delay, Retry-After) between them, page and depth
 * limits, a content-type filter, HTML reduced to its main text, JSONL output and a checkpointed
 * state for resuming ({@link dev.kiln.data.crawl.Crawler}).
 */
package dev.kiln.data.crawl;
