/**
 * MediaWiki XML dumps: {@link dev.kiln.data.wiki.WikiDumpReader} streams pages (latest revision,
 * redirects and other namespaces skipped and counted) and {@link dev.kiln.data.wiki.WikitextToText}
 * turns wikitext into plain text with a linear-time hand-written scanner.
 */
package dev.kiln.data.wiki;
