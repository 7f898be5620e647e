package dev.kiln.data.wiki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Hand-written wikitext snippets with the text a reader of the rendered page would take from them. */
class WikitextToTextTest {
    private static void check(String expected, String wikitext) {
        assertEquals(expected, WikitextToText.convert(wikitext), wikitext);
    }

    @Test
    void templatesNestedAndParametersAreRemoved() {
        check("Paris is the capital of France.", "{{Infobox city|name=Paris|pop={{formatnum:2165423}}}}Paris is the capital of France.");
        check("Born in 1912.", "Born in 1912.{{citation needed|date={{CURRENTYEAR}}}}");
        check("A B", "A {{{1|{{default|x}}}}} B");
        check("x", "{{a|{{b|{{c|{{d}}}}}}}}x");
        check("keep {{ unbalanced", "keep {{ unbalanced");
        check("stray }} braces", "stray }} braces");
        check("{ single braces }", "{ single braces }");
    }

    @Test
    void tablesAreRemovedWithTheirRows() {
        check("Before.\n\nAfter.", "Before.\n{| class=\"wikitable\"\n|-\n! Year !! Event\n|-\n| 1912 || Born\n"
                + "{|\n| nested\n|}\n|}\nAfter.");
        check("Text.", "Text.\n:{|\n| indented table\n|}");
    }

    @Test
    void linksBecomeTheirLabels() {
        check("The cat sat.", "The [[Felis catus|cat]] sat.");
        check("Visit Paris today.", "Visit [[Paris]] today.");
        check("Many buses run.", "Many [[bus]]es run.");
        check("Category:Cats is a page.", "[[:Category:Cats]] is a page.");
        check("See Foo.", "See [[Help:Foo (disambiguation)|]].");
        check("A caption-less page.", "A [[File:Cat.jpg|thumb|A [[cat]] on a {{mat}}]]caption-less page.");
        check("Text.", "Text.[[Image:X.png|left]][[Category:Felines|Cat]][[category : Pets]]");
        check("Label with link and bold.", "[[Target|Label with [[link]] and '''bold''']].");
        check("unclosed [[link", "unclosed [[link");
    }

    @Test
    void externalLinksBecomeTheirLabels() {
        check("See the site or .", "See [https://example.org the site] or [http://x.example].");
        check("[not a link] stays", "[not a link] stays");
        check("http://bare.example stays", "http://bare.example stays");
    }

    @Test
    void tagsCommentsAndReferences() {
        check("Water boils at 100 °C.", "Water boils at 100 °C.<ref name=\"a\">{{cite web|url=x}}</ref><!-- check -->");
        check("Kept\nlines", "Kept\n<!-- a comment on its own line -->\n{{template on its own line}}\nlines");
        check("Claim.", "Claim.<ref name=\"b\" /><REF>other</REF>");
        check("E = mc2 is famous.", "E = mc<sup>2</sup> is famous.<ref group=n>note</ref>");
        check("a\nb", "a<br/>b");
        check("x < y and a c d", "x < y and a <b>c</b> d");
        check("Text", "Text<!-- an unterminated comment swallows the rest");
        check("Gallery gone.", "Gallery gone.<gallery>\nFile:A.jpg|a\n</gallery>");
        check("unknown <tag> stays", "unknown <tag> stays");
    }

    @Test
    void nowikiAndPreAreVerbatim() {
        check("Use [[this]] and ''that'' literally.", "Use <nowiki>[[this]] and ''that''</nowiki> literally.");
        check("code:\n  {{not a template}}\nend", "code:<pre>\n  {{not a template}}\n</pre>end");
        check("a & b", "<nowiki>a &amp; b</nowiki>");
    }

    @Test
    void formattingHeadingsListsAndEntities() {
        check("Bold and italic and both.", "'''Bold''' and ''italic'' and '''''both'''''.");
        check("It's l'eau.", "It's l'eau.");
        check("History\n\nEarly years\nText.", "== History ==\n\n=== Early years ===\nText.");
        check("one\ntwo\nnested\nterm : def", "* one\n# two\n**# nested\n; term : def");
        check("Above\n\nBelow", "Above\n----\nBelow");
        check("Intro.", "__NOTOC__Intro.__TOC__");
        check("a — b – c © 2024 é <ref> \u00a0 😀 &unknown; &#xD800;",
                "a &mdash; b &ndash; c &copy; 2024 &#233; &lt;ref&gt; &nbsp; &#x1F600; &unknown; &#xD800;");
        check("a b c", "a   b\t c   ");
        check("One.\n\nTwo.", "\n\n\nOne.\n\n\n\nTwo.\n\n");
    }

    @Test
    void aRealisticArticleOpening() {
        String wikitext = """
                {{Short description|English mathematician (1912–1954)}}
                {{Use British English|date=March 2020}}
                {{Infobox scientist
                | name = Alan Turing
                | image = Alan Turing Aged 16.jpg
                | birth_date = {{birth date|df=yes|1912|6|23}}
                }}
                '''Alan Mathison Turing''' {{post-nominals|country=GBR|OBE|FRS}} (23 June 1912&nbsp;– 7 June 1954) was an English [[mathematician]], [[computer scientist]] and [[Cryptanalysis|cryptanalyst]].<ref name="frs">{{Cite journal|last=Newman}}</ref>

                == Early life ==
                [[File:Alan Turing Aged 16.jpg|thumb|upright|Turing aged 16]]
                Turing was born in [[Maida Vale]], London.<ref>{{cite web|url=https://example.org}}</ref>

                [[Category:1912 births]]
                """;
        check("Alan Mathison Turing (23 June 1912\u00a0– 7 June 1954) was an English mathematician, computer scientist and cryptanalyst."
                + "\n\nEarly life\nTuring was born in Maida Vale, London.", wikitext);
    }

    @Test
    void adversarialNestingIsLinearAndSafe() {
        String braces = "{{".repeat(200_000) + "x" + "}}".repeat(200_000) + "y";
        String links = "[[".repeat(100_000) + "a" + "]]".repeat(100_000);
        String unclosed = "<ref>".repeat(50_000) + "text" + "{{".repeat(100_000);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertEquals("{}y", WikitextToText.convert(braces)); // runs match 3 at a time, like MediaWiki: "{{{{x}}}}" is "{" + "{{{x}}}" + "}"
            WikitextToText.convert(links); // deep nesting past the limit stays text, without a stack overflow
            assertEquals("text" + "{{".repeat(100_000), WikitextToText.convert(unclosed));
        });
    }
}
