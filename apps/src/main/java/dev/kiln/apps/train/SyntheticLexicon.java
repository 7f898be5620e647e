package dev.kiln.apps.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A made-up pronouncing dictionary for {@code kiln train seq2seq --synthetic N}: words of one to
 * three syllables (onset, vowel spelling, optional coda) whose pronunciation follows fixed
 * spelling rules, one of them contextual ("C" sounds S before E or I, K elsewhere), and about one
 * word in eight with a second pronunciation that reduces its first vowel to AH. Learnable in a
 * few hundred steps, so tests and smoke runs need no download.
 */
final class SyntheticLexicon {
    private SyntheticLexicon() {}

    private static final String[][] ONSETS = {
        {"B", "B"}, {"D", "D"}, {"F", "F"}, {"G", "G"}, {"K", "K"}, {"L", "L"}, {"M", "M"}, {"N", "N"}, {"P", "P"},
        {"R", "R"}, {"S", "S"}, {"T", "T"}, {"V", "V"}, {"W", "W"}, {"Z", "Z"}, {"SH", "SH"}, {"CH", "CH"},
        {"TH", "TH"}, {"PH", "F"}, {"C", null}, {"", ""},
    };
    private static final String[][] VOWELS = {
        {"A", "AE"}, {"E", "EH"}, {"I", "IH"}, {"O", "AA"}, {"U", "AH"}, {"EE", "IY"}, {"OO", "UW"}, {"AI", "EY"},
        {"OA", "OW"}, {"OU", "AW"},
    };
    private static final String[][] CODAS = {
        {"", ""}, {"", ""}, {"N", "N"}, {"T", "T"}, {"S", "S"}, {"M", "M"}, {"CK", "K"}, {"NG", "NG"}, {"L", "L"}, {"ND", "N D"},
    };

    /** {@code count} distinct words, the same for the same seed. */
    static List<Cmudict.Word> generate(int count, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("SyntheticLexicon: count must be >= 1, got " + count);
        }
        Random r = new Random(seed);
        Map<String, List<List<String>>> words = new LinkedHashMap<>();
        int attempts = 0;
        while (words.size() < count) {
            if (++attempts > 100 * count + 1000) {
                throw new IllegalStateException("SyntheticLexicon: could not make " + count + " distinct words");
            }
            StringBuilder spelling = new StringBuilder();
            List<String> phones = new ArrayList<>();
            int syllables = 1 + r.nextInt(3);
            int firstVowel = -1;
            for (int s = 0; s < syllables; s++) {
                String[] onset = ONSETS[r.nextInt(ONSETS.length)];
                String[] vowel = VOWELS[r.nextInt(VOWELS.length)];
                String[] coda = CODAS[r.nextInt(CODAS.length)];
                spelling.append(onset[0]);
                if (onset[1] == null) {
                    phones.add(vowel[0].startsWith("E") || vowel[0].startsWith("I") ? "S" : "K");
                } else if (!onset[1].isEmpty()) {
                    phones.add(onset[1]);
                }
                spelling.append(vowel[0]);
                if (firstVowel < 0) {
                    firstVowel = phones.size();
                }
                phones.add(vowel[1]);
                spelling.append(coda[0]);
                if (!coda[1].isEmpty()) {
                    phones.addAll(List.of(coda[1].split(" ")));
                }
            }
            String w = spelling.toString();
            if (words.containsKey(w)) {
                continue;
            }
            List<List<String>> prons = new ArrayList<>();
            prons.add(phones);
            if (r.nextInt(8) == 0 && !phones.get(firstVowel).equals("AH")) {
                List<String> reduced = new ArrayList<>(phones);
                reduced.set(firstVowel, "AH");
                prons.add(reduced);
            }
            words.put(w, prons);
        }
        List<Cmudict.Word> out = new ArrayList<>(words.size());
        words.forEach((w, p) -> out.add(new Cmudict.Word(w, p)));
        return out;
    }
}
