package dev.kiln.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MailMessageTest {
    /** The lines joined with CRLF, as bytes (ISO-8859-1, so "\u00e9" is the single byte 0xE9). */
    private static byte[] crlf(String... lines) {
        return (String.join("\r\n", lines)).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] lf(String... lines) {
        return (String.join("\n", lines)).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String b64(String text, java.nio.charset.Charset cs) {
        return Base64.getMimeEncoder(20, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(text.getBytes(cs));
    }

    @Test
    void headersAreUnfoldedAndLookedUpCaseInsensitively() {
        MailMessage m = MailMessage.parse(crlf(
                "From sender@example.com  Thu Aug 22 13:17:22 2002",
                "Received: from a",
                "\tby b",
                "Subject: Hello",
                "   world",
                "X-Empty:",
                "subject : second",
                "received: from c",
                "",
                "Body line"));
        assertEquals(List.of("Received", "Subject", "X-Empty", "subject", "received"),
                m.headers().fields().stream().map(MailHeaders.Field::name).toList(), "the envelope line is not a field");
        assertEquals("from a\tby b", m.header("RECEIVED"));
        assertEquals(List.of("from a\tby b", "from c"), m.headers().getAll("Received"));
        assertEquals("Hello   world", m.header("subject"), "unfolding removes the line break only");
        assertEquals("Hello world", m.subject(), "the subject's blanks collapse");
        assertEquals("", m.header("x-empty"));
        assertNull(m.header("Content-Type"));
        assertEquals("text/plain", m.contentType().mediaType(), "no Content-Type: text/plain");
        assertEquals("Body line", m.text());
    }

    @Test
    void encodedWordSubjectsAreDecoded() {
        MailMessage m = MailMessage.parse(lf("Subject: =?utf-8?B?Q2Fmw6k=?=", " =?utf-8?Q?_cr=C3=A8me?=", "", "x"));
        assertEquals("Caf\u00e9 cr\u00e8me", m.subject());
    }

    @Test
    void plainTextIsPreferredInAnAlternativeAndHtmlIsUsedWithoutIt() {
        String[] alternative = {
            "Content-Type: multipart/alternative; boundary=\"b1\"",
            "",
            "preamble to ignore",
            "--b1",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "Plain version",
            "--b1",
            "Content-Type: text/html",
            "",
            "<p>HTML <b>version</b></p>",
            "--b1--",
            "epilogue to ignore"};
        MailMessage m = MailMessage.parse(crlf(alternative));
        assertEquals(2, m.parts().size());
        assertEquals("Plain version", m.text());

        MailMessage htmlOnly = MailMessage.parse(crlf(
                "Content-Type: multipart/alternative; boundary=b1",
                "",
                "--b1",
                "Content-Type: text/plain",
                "",
                "   ",
                "--b1",
                "Content-Type: text/html; charset=iso-8859-1",
                "Content-Transfer-Encoding: quoted-printable",
                "",
                "<html><head><title>t</title></head><body><p>Caf=E9 &amp; cr=",
                "=E8me</p></body></html>",
                "--b1--"));
        assertEquals("Caf\u00e9 & cr\u00e8me", htmlOnly.text(), "a blank plain part does not count");

        MailMessage single = MailMessage.parse(lf("Content-Type: TEXT/HTML", "", "<div>Only <i>html</i></div>"));
        assertEquals("Only html", single.text());
    }

    @Test
    void nestedMultipartsAttachmentsAndTransferEncodings() {
        String png = Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        MailMessage m = MailMessage.parse(crlf(
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed;",
                "\tboundary=\"outer\"",
                "",
                "--outer",
                "Content-Type: multipart/alternative; boundary=\"outer-inner\"",
                "",
                "--outer-inner",
                "Content-Type: text/plain; charset=\"utf-8\"",
                "Content-Transfer-Encoding: base64",
                "",
                b64("Gr\u00fc\u00dfe aus K\u00f6ln", StandardCharsets.UTF_8),
                "--outer-inner",
                "Content-Type: text/html",
                "",
                "<p>ignored html</p>",
                "--outer-inner--",
                "",
                "--outer",
                "Content-Type: image/png; name=\"a.png\"",
                "Content-Transfer-Encoding: base64",
                "",
                png,
                "--outer",
                "Content-Type: text/plain; name=\"notes.txt\"",
                "Content-Disposition: attachment; filename=\"notes.txt\"",
                "",
                "attached text, skipped",
                "--outer",
                "Content-Type: text/plain; charset=iso-8859-1",
                "Content-Transfer-Encoding: quoted-printable",
                "Content-Disposition: inline",
                "",
                "Signature: caf=E9",
                "--outer--"));
        assertEquals("multipart/mixed", m.contentType().mediaType());
        assertEquals(4, m.parts().size());
        assertEquals(2, m.parts().getFirst().parts().size(), "the inner boundary starts with the outer one");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2}, m.parts().get(1).decodedBody());
        assertTrue(m.parts().get(2).isAttachment());
        assertEquals("Gr\u00fc\u00dfe aus K\u00f6ln\n\nSignature: caf\u00e9", m.text());
    }

    @Test
    void theLineBreakBeforeADelimiterBelongsToTheDelimiter() {
        MailMessage m = MailMessage.parse(crlf(
                "Content-Type: multipart/mixed; boundary=x",
                "",
                "--x",
                "",
                "line 1",
                "line 2",
                "",
                "--x  ",
                "",
                "second",
                "--x--"));
        assertEquals(2, m.parts().size(), "blanks after a delimiter are allowed");
        assertEquals("line 1\r\nline 2\r\n", new String(m.parts().getFirst().rawBody(), StandardCharsets.ISO_8859_1));
        assertEquals("second", new String(m.parts().get(1).rawBody(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void embeddedMessagesAndDigestDefaults() {
        MailMessage m = MailMessage.parse(lf(
                "Content-Type: multipart/mixed; boundary=z",
                "",
                "--z",
                "",
                "See the forwarded message.",
                "--z",
                "Content-Type: message/rfc822",
                "",
                "Subject: inner",
                "Content-Type: text/html",
                "",
                "<b>Inner</b> body",
                "--z--"));
        assertEquals("inner", m.parts().get(1).parts().getFirst().subject());
        assertEquals("See the forwarded message.\n\nInner body", m.text());

        MailMessage digest = MailMessage.parse(lf(
                "Content-Type: multipart/digest; boundary=d",
                "",
                "--d",
                "",
                "Subject: first",
                "",
                "one",
                "--d",
                "",
                "Subject: second",
                "",
                "two",
                "--d--"));
        assertEquals("message/rfc822", digest.parts().getFirst().contentType().mediaType());
        assertEquals("one\n\ntwo", digest.text());
    }

    @Test
    void charsetsFallBackAndNeverThrow() {
        byte[] utf8 = "caf\u00e9".getBytes(StandardCharsets.UTF_8);
        byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        for (String charset : new String[] {"x-unknown", "default", "us-ascii", "\"\"", "bad name!"}) {
            assertEquals("caf\u00e9", MailMessage.parse(concat("Content-Type: text/plain; charset=" + charset + "\n\n", utf8)).text(),
                    charset + " with UTF-8 bytes");
            assertEquals("caf\u00e9", MailMessage.parse(concat("Content-Type: text/plain; charset=" + charset + "\n\n", latin1)).text(),
                    charset + " with Latin-1 bytes");
        }
        assertEquals("caf\u00e9", MailMessage.parse(concat("Content-Type: text/plain; charset=windows-1252\n\n", latin1)).text());
        byte[] badUtf8 = {'a', (byte) 0xC3, 'b'};
        assertEquals("a\ufffdb", MailMessage.parse(concat("Content-Type: text/plain; charset=utf-8\n\n", badUtf8)).text(),
                "a declared charset replaces what it cannot decode");
        assertEquals("\u00e9t\u00e9", MailMessage.parse(concat("Content-Type: text/plain; charset=iso-8859-1\r\n\r\n",
                new byte[] {(byte) 0xE9, 't', (byte) 0xE9})).text());
    }

    @Test
    void malformedMessagesGiveBestEffortText() {
        // the closing boundary is missing: the last part runs to the end
        assertEquals("first\n\nsecond part\nlast line", MailMessage.parse(lf(
                "Content-Type: multipart/mixed; boundary=q", "", "--q", "", "first", "--q", "", "second part",
                "last line")).text());
        // truncated base64: the whole bytes are kept ("SGVsbG8gd29y" is "Hello wor", then "bG" is "l")
        assertEquals("Hello worl", MailMessage.parse(lf("Content-Transfer-Encoding: base64", "", "SGVsbG8gd29ybG")).text());
        // invalid quoted-printable escapes stay as they are (the final '=' is a soft line break)
        assertEquals("50% =ZZ off", MailMessage.parse(lf("Content-Transfer-Encoding: quoted-printable", "", "50% =ZZ off=")).text());
        // no boundary parameter: the first "--token" line before a Content- header is the boundary
        assertEquals("guessed", MailMessage.parse(lf(
                "Content-Type: multipart/alternative", "", "--abc", "Content-Type: text/plain", "", "guessed", "--abc--")).text());
        // a wrong boundary parameter: the same guess
        assertEquals("guessed", MailMessage.parse(lf(
                "Content-Type: multipart/mixed; boundary=nope", "", "--abc", "Content-Type: text/plain", "", "guessed", "--abc--")).text());
        // MIME parts without a Content-Type header
        assertEquals("from a broken mailer", MailMessage.parse(lf(
                "MIME-Version: 1.0", "", "This is a MIME message", "", "--=_x", "Content-Type: text/plain", "",
                "from a broken mailer", "--=_x--")).text());
        // no blank line between headers and body: the first line that is not a field starts the body
        MailMessage noBlank = MailMessage.parse(lf("Subject: s", "This line is the body", "and this"));
        assertEquals("s", noBlank.subject());
        assertEquals("This line is the body\nand this", noBlank.text());
        // an invalid Content-Type is text/plain; a continuation line before any field is dropped
        assertEquals("body", MailMessage.parse(lf(" stray", "Content-Type: garbage", "", "body")).text());
        assertEquals("text/plain", MailMessage.parse(lf("Content-Type: ;;", "", "x")).contentType().mediaType());
        // headers only, and nothing at all
        assertEquals("", MailMessage.parse(lf("Subject: only headers")).text());
        assertEquals("", MailMessage.parse(new byte[0]).text());
        // a multipart whose parts cannot be found is read as text
        assertEquals("no parts here", MailMessage.parse(lf("Content-Type: multipart/mixed; boundary=q", "", "no parts here")).text());
    }

    @Test
    void deepNestingStopsAtTheLimit() {
        StringBuilder sb = new StringBuilder();
        int depth = MailMessage.MAX_DEPTH + 10;
        for (int i = 0; i < depth; i++) {
            sb.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\n\n--b").append(i).append('\n');
        }
        sb.append("Content-Type: text/plain\n\ndeep\n");
        MailMessage m = MailMessage.parse(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        int levels = 0;
        for (MailMessage p = m; !p.parts().isEmpty(); p = p.parts().getFirst()) {
            levels++;
        }
        assertEquals(MailMessage.MAX_DEPTH, levels);
    }

    @Test
    void randomMutationsOfAMessageNeverThrow() {
        byte[] base = crlf(
                "Subject: =?utf-8?Q?caf=C3=A9?=",
                "Content-Type: multipart/mixed; boundary=\"o\"",
                "",
                "--o",
                "Content-Type: multipart/alternative; boundary=i",
                "",
                "--i",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: base64",
                "",
                "Y2Fmw6kgY3LDqG1l",
                "--i",
                "Content-Type: text/html; charset=iso-8859-1",
                "Content-Transfer-Encoding: quoted-printable",
                "",
                "<p>caf=E9 &amp; <b>cr=E8me</p><!--",
                "--i--",
                "--o",
                "Content-Type: message/rfc822",
                "",
                "Subject: inner",
                "",
                "inner",
                "--o--");
        Random r = new Random(11);
        byte[] alphabet = "-=\r\n:;\"<>&#?B Q/abc".getBytes(StandardCharsets.ISO_8859_1);
        for (int trial = 0; trial < 3000; trial++) {
            byte[] b = base.clone();
            int edits = 1 + r.nextInt(8);
            for (int e = 0; e < edits; e++) {
                int at = r.nextInt(b.length);
                b[at] = r.nextBoolean() ? (byte) r.nextInt(256) : alphabet[r.nextInt(alphabet.length)];
            }
            int cut = r.nextInt(b.length + 1);
            MailMessage m = MailMessage.parse(java.util.Arrays.copyOf(b, cut));
            m.text();
            m.subject();
        }
        assertEquals("caf\u00e9 cr\u00e8me\n\ninner", MailMessage.parse(base).text());
    }

    private static byte[] concat(String head, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return out.toByteArray();
    }
}
