package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteAlphabetTest {
    @Test
    void knownCharactersOfGpt2sTable() {
        assertEquals('\u0120', ByteAlphabet.charOf(' '), "space is Ġ");
        assertEquals('\u010A', ByteAlphabet.charOf('\n'), "newline is Ċ");
        assertEquals('\u0100', ByteAlphabet.charOf(0x00));
        assertEquals('\u0121', ByteAlphabet.charOf(0x7F), "DEL follows the 33 controls and space");
        assertEquals('\u0143', ByteAlphabet.charOf(0xAD), "the soft hyphen is the last remapped byte");
        assertEquals('A', ByteAlphabet.charOf('A'));
        assertEquals('\u00FF', ByteAlphabet.charOf(0xFF));
        assertEquals(0x20, ByteAlphabet.byteOf('\u0120'));
        assertEquals(-1, ByteAlphabet.byteOf(' '), "a raw space is not in the alphabet");
        assertEquals(-1, ByteAlphabet.byteOf('\u0144'));
    }

    @Test
    void isABijectionAndMatchesHuggingFacesAlphabet() throws IOException {
        Set<Character> chars = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteAlphabet.charOf(b);
            chars.add(c);
            assertEquals(b, ByteAlphabet.byteOf(c));
        }
        assertEquals(256, chars.size());
        // Hugging Face's trained vocabulary holds <|endoftext|> at 0 then the 256 byte characters.
        BpeTokenizer hf = BpeTokenizer.load(TokenizeFixtures.resource("hf_tokenizer.json"));
        Set<Character> hfChars = new HashSet<>();
        for (int id = 1; id <= 256; id++) {
            assertEquals(1, hf.token(id).length());
            hfChars.add(hf.token(id).charAt(0));
        }
        assertEquals(chars, hfChars);
    }

    @Test
    void encodesAndDecodesByteStrings() {
        byte[] bytes = {0x48, 0x20, (byte) 0xE2, (byte) 0x82, (byte) 0xAC, 0x0A};
        String s = ByteAlphabet.encode(bytes, 0, bytes.length);
        assertEquals("H\u0120\u00E2\u0124\u00AC\u010A", s);
        assertArrayEquals(bytes, ByteAlphabet.decode(s));
        assertNull(ByteAlphabet.decode("<|a b|>"), "a space is not a byte character");
    }
}
