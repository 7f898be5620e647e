package dev.kiln.data.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EncodedWordsTest {
    @Test
    void decodesBAndQWordsInAnyCase() {
        assertEquals("caf\u00e9", EncodedWords.decode("=?UTF-8?B?Y2Fmw6k=?="));
        assertEquals("caf\u00e9 au lait", EncodedWords.decode("=?iso-8859-1?q?caf=E9_au_lait?="));
        assertEquals("Re: caf\u00e9 time", EncodedWords.decode("Re: =?utf-8?Q?caf=C3=A9?= time"), "text around a word is kept");
        assertEquals("\u00e9", EncodedWords.decode("=?utf-8*fr?Q?=C3=A9?="), "RFC 2231 language suffix ignored");
    }

    @Test
    void adjacentWordsJoinWithoutTheBlanksBetweenThem() {
        assertEquals("ab", EncodedWords.decode("=?us-ascii?Q?a?= \t =?us-ascii?Q?b?="));
        assertEquals("a x b", EncodedWords.decode("=?us-ascii?Q?a?= x =?us-ascii?Q?b?="), "non-blank text between stays");
        // U+00E9 is C3 A9 in UTF-8: split across two words, the bytes must join before decoding
        assertEquals("\u00e9t\u00e9", EncodedWords.decode("=?utf-8?Q?=C3?= =?utf-8?Q?=A9t=C3=A9?="));
        assertEquals("\u00e9\u00e9", EncodedWords.decode("=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?="), "different charsets");
    }

    @Test
    void malformedWordsAreLeftAsTheyAre() {
        assertEquals("=?utf-8?X?abc?=", EncodedWords.decode("=?utf-8?X?abc?="), "unknown encoding");
        assertEquals("=?utf-8?Q?abc", EncodedWords.decode("=?utf-8?Q?abc"), "no closing ?=");
        assertEquals("1 =? 2", EncodedWords.decode("1 =? 2"));
        assertEquals("plain", EncodedWords.decode("plain"));
        assertEquals(null, EncodedWords.decode(null));
    }

    @Test
    void anUnknownCharsetFallsBackToUtf8OrLatin1() {
        assertEquals("caf\u00e9", EncodedWords.decode("=?x-unknown?Q?caf=C3=A9?="), "valid UTF-8");
        assertEquals("caf\u00e9", EncodedWords.decode("=?default?Q?caf=E9?="), "not UTF-8: ISO-8859-1");
    }
}
