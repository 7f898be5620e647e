package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class C4RulesTest {
    @Test
    void linesNeedTerminalPunctuationEnoughWordsAndNoJavascript() {
        TextNormalizer n = C4Rules.terminalPunctuationLines(3);
        String text = "Home | About\nThis line is fine.\nToo short.\nPlease enable JavaScript to continue.\n\n"
                + "She said \"it works\"\n日本語 の 文。\nNo punctuation at the end";
        assertEquals("This line is fine.\n\nShe said \"it works\"\n日本語 の 文。", n.normalize(text));
        String clean = "One two three.\nFour five six!";
        assertSame(clean, n.normalize(clean));
    }

    @Test
    void pageRules() {
        assertEquals(Decision.drop("contains lorem ipsum"), C4Rules.loremIpsum().decide(new TextParts("x Lorem Ipsum dolor")));
        assertEquals(Decision.KEEP, C4Rules.loremIpsum().decide(new TextParts("lorem and ipsum")));
        assertEquals(Decision.drop("contains a curly bracket"), C4Rules.curlyBracket().decide(new TextParts("f() { }")));
        TextFilter five = C4Rules.minSentences(5);
        assertEquals(Decision.KEEP, five.decide(new TextParts("One. Two! Three? Four... \"Five.\"")));
        assertEquals(Decision.drop("fewer than 5 sentences"), five.decide(new TextParts("One. Two! Three?! ... Four")));
    }
}
