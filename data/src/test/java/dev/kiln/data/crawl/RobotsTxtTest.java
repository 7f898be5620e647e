package dev.kiln.data.crawl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Expected answers are those RFC 9309 states for its own examples (sections 2.2.2, 2.2.3, 5.1, 5.2). */
class RobotsTxtTest {
    /** RFC 9309 section 5.1, "Simple Example". */
    private static final String SIMPLE = """
            User-Agent: *
            Disallow: *.gif$
            Disallow: /example/
            Allow: /publications/

            User-Agent: foobot
            Disallow:/
            Allow:/example/page.html
            Allow:/example/allowed.gif

            User-Agent: barbot
            User-Agent: bazbot
            Disallow: /example/page.html

            User-Agent: quxbot

            EOF
            """;

    @Test
    void simpleExampleAnyOtherBotUsesTheStarGroup() {
        RobotsTxt.Rules any = RobotsTxt.parse(SIMPLE).rulesFor("otherbot");
        assertFalse(any.allows("/image.gif"));
        assertTrue(any.allows("/image.gif2"), "$ anchors the end");
        assertFalse(any.allows("/a/b/c.gif"), "* crosses slashes");
        assertFalse(any.allows("/example/"));
        assertFalse(any.allows("/example/page.html"));
        assertTrue(any.allows("/publications/"));
        assertTrue(any.allows("/publications/x"));
        assertTrue(any.allows("/other"));
    }

    @Test
    void simpleExampleFoobotIsDeniedAllButTwoPaths() {
        RobotsTxt.Rules foo = RobotsTxt.parse(SIMPLE).rulesFor("FooBot");
        assertTrue(foo.allows("/example/page.html"));
        assertTrue(foo.allows("/example/allowed.gif"));
        assertFalse(foo.allows("/example/other.html"));
        assertFalse(foo.allows("/"));
        assertTrue(foo.allows("/robots.txt"), "robots.txt itself is always allowed");
    }

    @Test
    void simpleExampleGroupWithTwoAgentsAndEmptyGroup() {
        RobotsTxt robots = RobotsTxt.parse(SIMPLE);
        for (String bot : new String[] {"barbot", "bazbot"}) {
            RobotsTxt.Rules r = robots.rulesFor(bot);
            assertFalse(r.allows("/example/page.html"), bot);
            assertTrue(r.allows("/example/other.html"), bot + ": the * group does not apply");
            assertTrue(r.allows("/x.gif"), bot);
        }
        RobotsTxt.Rules qux = robots.rulesFor("quxbot");
        assertTrue(qux.allows("/example/page.html"), "an empty matching group allows everything");
        assertTrue(qux.allows("/x.gif"));
    }

    /** RFC 9309 section 5.2, "Longest Match". */
    @Test
    void longestMatchWins() {
        RobotsTxt.Rules r = RobotsTxt.parse("""
                User-Agent: foobot
                Allow: /example/page/
                Disallow: /example/page/disallowed.gif
                """).rulesFor("foobot");
        assertTrue(r.allows("/example/page/"));
        assertTrue(r.allows("/example/page/other.gif"));
        assertFalse(r.allows("/example/page/disallowed.gif"));
    }

    @Test
    void allowWinsAnEqualLengthTie() {
        RobotsTxt.Rules r = RobotsTxt.parse("User-agent: *\nDisallow: /page\nAllow: /page\n").rulesFor("x");
        assertTrue(r.allows("/page"));
        RobotsTxt.Rules reversed = RobotsTxt.parse("User-agent: *\nAllow: /page\nDisallow: /page\n").rulesFor("x");
        assertTrue(reversed.allows("/page"));
    }

    /** RFC 9309 section 2.2.2: the percent-encoding table (rule path, URL path, match). */
    @Test
    void percentEncodingTable() {
        String[][] rows = {
            {"/foo/bar?baz=quz", "/foo/bar?baz=quz"},
            {"/foo/bar/\u30C4", "/foo/bar/%E3%83%84"},
            {"/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84"},
            {"/foo/bar/%62%61%7A", "/foo/bar/%62%61%7A"},
        };
        for (String[] row : rows) {
            RobotsTxt.Rules r = RobotsTxt.parse("User-agent: *\nDisallow: " + row[0] + "\n").rulesFor("x");
            assertFalse(r.allows(row[1]), row[0] + " should match " + row[1]);
        }
        RobotsTxt.Rules lower = RobotsTxt.parse("User-agent: *\nDisallow: /foo/bar/%e3%83%84\n").rulesFor("x");
        assertFalse(lower.allows("/foo/bar/%E3%83%84"), "hex case does not matter");
        RobotsTxt.Rules encoded = RobotsTxt.parse("User-agent: *\nDisallow: /foo/bar/%62%61%7A\n").rulesFor("x");
        assertTrue(encoded.allows("/foo/bar/baz"), "escapes are not decoded: %62%61%7A is not baz");
    }

    /** RFC 9309 section 2.2.3: special characters. */
    @Test
    void specialCharacters() {
        RobotsTxt.Rules r = RobotsTxt.parse("""
                User-agent: *
                Disallow: /path/file-with-a-*.html
                Disallow: /path/foo-$
                Allow: /this/path/exactly$
                Disallow: /this/path/
                # a comment line
                Disallow: /commented # not part of the path
                """).rulesFor("x");
        assertFalse(r.allows("/path/file-with-a-star.html"));
        assertFalse(r.allows("/path/file-with-a-.html"));
        assertTrue(r.allows("/path/file-with-b-star.html"));
        assertFalse(r.allows("/path/foo-"));
        assertTrue(r.allows("/path/foo-bar"), "$ only matches the end");
        assertTrue(r.allows("/this/path/exactly"));
        assertFalse(r.allows("/this/path/exactly/not"));
        assertFalse(r.allows("/commented"));
        assertTrue(r.allows("/commente"));
    }

    @Test
    void mostSpecificAgentWinsAndCrawlDelayIsRead() {
        RobotsTxt robots = RobotsTxt.parse("""
                User-agent: *
                Disallow: /

                User-agent: kiln
                Disallow: /a
                Crawl-delay: 2

                User-agent: kiln-crawler/1.0
                Disallow: /b
                Crawl-delay: 0.5

                User-agent: kiln
                Disallow: /c
                """);
        RobotsTxt.Rules specific = robots.rulesFor("kiln-crawler");
        assertTrue(specific.allows("/a"));
        assertFalse(specific.allows("/b"));
        assertEquals(0.5, specific.crawlDelaySeconds());
        RobotsTxt.Rules kiln = robots.rulesFor("kiln");
        assertFalse(kiln.allows("/a"));
        assertFalse(kiln.allows("/c"), "groups of the same agent are merged");
        assertTrue(kiln.allows("/b"));
        assertEquals(2.0, kiln.crawlDelaySeconds());
        assertFalse(robots.rulesFor("otherbot").allows("/x"));
    }

    @Test
    void rulesOutsideGroupsAndEmptyDisallowAreIgnored() {
        RobotsTxt robots = RobotsTxt.parse("Disallow: /early\nUser-agent: *\nDisallow:\n");
        assertTrue(robots.rulesFor("x").allows("/early"));
        assertTrue(robots.rulesFor("x").allows("/anything"));
        assertTrue(RobotsTxt.parse("").rulesFor("x").allows("/"), "an empty file allows everything");
        assertFalse(RobotsTxt.Rules.DISALLOW_ALL.allows("/x"));
        assertTrue(RobotsTxt.Rules.DISALLOW_ALL.allows("/robots.txt"));
    }

    @Test
    void hostileWildcardsStayFast() {
        String pattern = "/" + "*a".repeat(200) + "$";
        RobotsTxt.Rules r = RobotsTxt.parse("User-agent: *\nDisallow: " + pattern + "\n").rulesFor("x");
        long t0 = System.nanoTime();
        assertTrue(r.allows("/" + "a".repeat(5000) + "b"));
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
    }
}
