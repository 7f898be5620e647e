package dev.kiln.data.wiki;

/**
 * One page of a MediaWiki XML dump, with the text of its latest revision.
 *
 * @param id the page id ({@code <page><id>})
 * @param title the page title, e.g. {@code "Alan Turing"}
 * @param namespace the namespace number ({@code 0} = articles)
 * @param revisionId the id of the revision whose text this is
 * @param timestamp that revision's timestamp as written (ISO 8601), or null
 * @param model the content model ({@code "wikitext"} for articles), or null in old dumps
 * @param wikitext the revision's wikitext, as in the dump (XML entities decoded)
 */
public record WikiPage(long id, String title, int namespace, long revisionId, String timestamp, String model, String wikitext) {
    /** The plain text of {@link #wikitext()} ({@link WikitextToText#convert}). */
    public String plainText() {
        return WikitextToText.convert(wikitext);
    }
}
