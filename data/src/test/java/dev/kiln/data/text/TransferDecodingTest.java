package dev.kiln.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TransferDecodingTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Test
    void base64MatchesTheJdkMimeDecoderOnWellFormedInput() {
        Random r = new Random(7);
        for (int len = 0; len < 200; len += 7) {
            byte[] data = new byte[len];
            r.nextBytes(data);
            byte[] encoded = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encode(data);
            assertArrayEquals(data, TransferDecoding.base64(encoded), "length " + len);
            assertArrayEquals(Base64.getMimeDecoder().decode(encoded), TransferDecoding.base64(encoded));
        }
    }

    @Test
    void base64SkipsGarbageAndKeepsWhatATruncatedGroupHolds() {
        assertEquals("Hello", latin1(TransferDecoding.base64(ascii("SGVs\n bG8=\n"))));
        assertEquals("Hello", latin1(TransferDecoding.base64(ascii("SG*Vs!bG8"))), "non-alphabet characters are skipped");
        // "SGVsbG" is 36 bits: 4 whole bytes ("Hell"), 4 bits dropped; "SGVsb" is 30 bits: 3 bytes
        assertEquals("Hell", latin1(TransferDecoding.base64(ascii("SGVsbG"))));
        assertEquals("Hel", latin1(TransferDecoding.base64(ascii("SGVsb"))));
        assertEquals("He", latin1(TransferDecoding.base64(ascii("SGV"))));
        assertEquals("", latin1(TransferDecoding.base64(ascii("S"))), "6 bits make no byte");
        assertEquals("Hi", latin1(TransferDecoding.base64(ascii("SGk=SGVsbG8="))), "the first '=' ends the data");
        assertEquals("", latin1(TransferDecoding.base64(new byte[0])));
    }

    @Test
    void quotedPrintableEscapesSoftBreaksAndTrailingBlanks() {
        assertEquals("caf\u00c3\u00a9 = ok", latin1(TransferDecoding.quotedPrintable(ascii("caf=C3=A9 =3D ok"))));
        assertEquals("caf\u00c3\u00a9", latin1(TransferDecoding.quotedPrintable(ascii("caf=c3=a9"))), "lowercase hex accepted");
        assertEquals("one line\n", latin1(TransferDecoding.quotedPrintable(ascii("one =\nline\n"))));
        assertEquals("one line\r\n", latin1(TransferDecoding.quotedPrintable(ascii("one =\r\nline\r\n"))), "CRLF kept");
        assertEquals("soft break", latin1(TransferDecoding.quotedPrintable(ascii("soft =  \t\nbreak"))),
                "blanks after a soft break's '=' are transport padding");
        assertEquals("trailing\nx", latin1(TransferDecoding.quotedPrintable(ascii("trailing   \nx"))));
    }

    @Test
    void invalidQuotedPrintableIsKeptAsItIs() {
        assertEquals("=ZZ a=4 b=", latin1(TransferDecoding.quotedPrintable(ascii("=ZZ a=4 b=="))),
                "=ZZ and a lone =4 are not escapes; the last '=' is a soft break at the end of the input");
        assertEquals("100% =G0od", latin1(TransferDecoding.quotedPrintable(ascii("100% =G0od"))));
        assertEquals("x=3", latin1(TransferDecoding.quotedPrintable(ascii("x=3"))), "an escape cut off by the end is kept");
    }

    @Test
    void decodeDispatchesOnTheEncodingName() {
        byte[] body = ascii("xxSGk=yy");
        assertEquals("Hi", latin1(TransferDecoding.decode(" Base64 ", body, 2, 6)));
        assertEquals("Hi", latin1(TransferDecoding.decode("\"base64\"; x", body, 2, 6)));
        assertEquals("SGk=", latin1(TransferDecoding.decode("8bit", body, 2, 6)));
        assertEquals("SGk=", latin1(TransferDecoding.decode(null, body, 2, 6)));
        assertEquals("a=b", latin1(TransferDecoding.decode("QUOTED-PRINTABLE", ascii("a=3Db"), 0, 5)));
    }
}
