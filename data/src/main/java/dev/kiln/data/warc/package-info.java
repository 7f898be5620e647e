/**
 * WARC 1.0/1.1 files as Common Crawl publishes them: {@link dev.kiln.data.warc.WarcReader}
 * streams records (any type, or a chosen few), {@link dev.kiln.data.warc.HttpResponse} splits a
 * {@code response} record's HTTP headers from its body and charset, and {@link
 * dev.kiln.data.warc.WetReader} turns a WET file's {@code conversion} records into {@link
 * dev.kiln.data.warc.WetDocument}s (URL, date, language, text).
 */
package dev.kiln.data.warc;
