package dev.kiln.data.tokenize;

import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The committed fixtures of bpe_fixtures.py, and random text for property tests. */
final class TokenizeFixtures {
    static final String SPECIAL = "<|endoftext|>";

    private TokenizeFixtures() {}

    /** A file under src/test/resources/tokenize (from the test class path). */
    static Path resource(String name) {
        URL url = TokenizeFixtures.class.getResource("/tokenize/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource tokenize/" + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The source folder of the fixtures, where -Dkiln.bpe.writeFixture=true writes Kiln's files. */
    static Path sourceDir() {
        return Path.of("src", "test", "resources", "tokenize");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> fixture() {
        try {
            return (Map<String, Object>) JsonFiles.read(resource("bpe_fixtures.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases() {
        return (List<Map<String, Object>>) fixture().get("cases");
    }

    /** The training corpus, one text per line (each keeping its newline), as the Python script feeds it. */
    static List<String> corpusLines() {
        try {
            String text = java.nio.file.Files.readString(resource("corpus.txt"));
            return List.of(text.split("(?<=\n)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Long) l.get(i)).intValue();
        }
        return out;
    }

    /**
     * A random string of code points from everywhere Unicode has something to offer a tokenizer:
     * ASCII (most of it), whitespace of every kind and in runs, apostrophes, Latin letters with
     * combining marks, CJK, supplementary-plane letters and emoji, unassigned code points, and
     * occasionally the special token.
     */
    static String randomText(SplittableRandom rng, int maxParts, boolean withSpecial) {
        StringBuilder sb = new StringBuilder();
        int parts = rng.nextInt(maxParts + 1);
        String[] spaces = {" ", "  ", "    ", "\n", "\n\n", "\t", "\r\n", " \n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b"};
        for (int i = 0; i < parts; i++) {
            int kind = rng.nextInt(20);
            switch (kind) {
                case 0, 1, 2 -> sb.append(spaces[rng.nextInt(spaces.length)]);
                case 3 -> sb.append(rng.nextBoolean() ? "'" : "'" + "stmdlrev".charAt(rng.nextInt(8)));
                case 4 -> sb.appendCodePoint(0x300 + rng.nextInt(0x70)); // combining mark
                case 5 -> sb.appendCodePoint(0x4E00 + rng.nextInt(0x5200)); // CJK
                case 6 -> sb.appendCodePoint(0x1F300 + rng.nextInt(0x800)); // emoji
                case 7 -> sb.appendCodePoint(0x10000 + rng.nextInt(0x100000)); // any supplementary code point
                case 8 -> {
                    int cp = rng.nextInt(0x10000);
                    sb.appendCodePoint(Character.isSurrogate((char) cp) ? 0xFFFD : cp); // any BMP code point
                }
                case 9 -> sb.appendCodePoint(0xA0 + rng.nextInt(0x1B0)); // Latin-1 / Latin Extended
                case 10 -> sb.append((char) ('0' + rng.nextInt(10)));
                case 11 -> {
                    if (withSpecial && rng.nextInt(4) == 0) {
                        sb.append(SPECIAL);
                    } else {
                        sb.append("<|!?.,;:-()[]{}\"/\\".charAt(rng.nextInt(18)));
                    }
                }
                default -> {
                    int len = 1 + rng.nextInt(6);
                    for (int k = 0; k < len; k++) {
                        sb.append((char) ((rng.nextInt(5) == 0 ? 'A' : 'a') + rng.nextInt(26)));
                    }
                }
            }
        }
        return sb.toString();
    }
}
