package dev.kiln.data.warc;

/**
 * The extracted text of one page, from a WET file's {@code conversion} record.
 *
 * @param targetUri the page's URL ({@code WARC-Target-URI})
 * @param date when it was crawled ({@code WARC-Date}, ISO 8601 as written)
 * @param recordId {@code WARC-Record-ID}
 * @param language {@code WARC-Identified-Content-Language} (e.g. {@code "eng"} or {@code "deu,eng"}), or null
 * @param text the page text, UTF-8 decoded (Common Crawl writes one paragraph per line)
 */
public record WetDocument(String targetUri, String date, String recordId, String language, String text) {}
