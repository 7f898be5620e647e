package dev.kiln.data.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The vocabularies against hand-worked ids: counts, cut-offs, ties, unknown and special tokens. */
class VocabularyTest {
    @Test
    void wordTokenizerAndVocabulary() {
        assertEquals(List.of("re", ":", "free", "$", "1000", "!", "!", "mp3", "café", "中", "文", "x"),
                WordVocabulary.tokenize("Re: FREE $1000!! mp3\tCafé 中文\n\u00a0x"));
        WordVocabulary v = WordVocabulary.build(List.of(List.of("b", "a", "b", "c"), List.of("a", "b", "d")), 2, 10);
        assertEquals(List.of("b", "a"), v.words(), "b (3) before a (2); c and d are rare");
        assertArrayEquals(new long[] {2, 3, 1}, v.encode(List.of("b", "a", "zzz", "b"), 3), "cut to 3, unknown is 1");
        assertArrayEquals(new long[] {WordVocabulary.UNKNOWN}, v.encode(List.of(), 3), "an empty text is one unknown token");
        assertEquals(List.of("b"), WordVocabulary.build(List.of(List.of("b", "a", "b")), 1, 1).words(), "the most frequent only");
        assertEquals(List.of("a", "b"), WordVocabulary.build(List.of(List.of("b", "a")), 1, 5).words(), "ties in string order");
        assertEquals("x".repeat(WordVocabulary.MAX_WORD_LENGTH), WordVocabulary.tokenize("x".repeat(100)).getFirst());
    }

    @Test
    void vocabularyMapsRareAndUnseenCharactersToTheUnknownToken() {
        CharVocabulary v = CharVocabulary.build("aab ba! ", 2);
        assertEquals(List.of(" ", "a", "b"), v.characters());
        assertArrayEquals(new long[] {2, 3, 0, 1, 0}, v.encode("ab! z"));
        assertEquals("ab\uFFFD \uFFFD", v.decode(v.encode("ab! z")));
    }

    @Test
    void tokenVocabularyPutsSpecialsFirstAndSymbolsAfterThemInOrder() {
        TokenVocabulary v = new TokenVocabulary(List.of("<pad>", "<s>", "</s>"), List.of("AA", "B", "K"), null);
        assertEquals(List.of("<pad>", "<s>", "</s>", "AA", "B", "K"), v.tokens());
        assertEquals(6, v.size());
        assertArrayEquals(new long[] {5, 3, 4}, v.encode(List.of("K", "AA", "B")));
        assertEquals(List.of("K", "AA"), v.decode(new long[] {5, 3}));
        assertTrue(v.isSpecial(1) && !v.isSpecial(3));
        assertThrows(IllegalArgumentException.class, () -> v.encode(List.of("ZH")), "no unknown token: an unseen symbol is an error");
        TokenVocabulary letters = new TokenVocabulary(List.of("<pad>", "<unk>"), List.of("a", "b"), "<unk>");
        assertArrayEquals(new long[] {2, 1, 3}, letters.encode(List.of("a", "z", "b")), "unseen letters are <unk>");
    }
}
