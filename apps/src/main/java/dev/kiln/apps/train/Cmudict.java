package dev.kiln.apps.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The CMU Pronouncing Dictionary as {@code kiln data fetch cmudict} stores it: {@code dict.txt},
 * lines {@code WORD  PH1 PH2 ...}, alternate pronunciations as {@code WORD(1)}, {@code WORD(2)}
 * after the main one, ARPAbet phones with a lexical-stress digit on vowels ({@code AH0},
 * {@code EY1}). Lines starting with {@code ;;;} are comments, and so is anything after {@code #}
 * (later releases annotate some entries that way).
 *
 * <p>What is kept: words spelled only with letters and apostrophes ({@code A-Z}, {@code '}, at
 * least one letter), about 99% of the entries. The rest are abbreviations with periods
 * ({@code A.}), hyphenated or underscored compounds ({@code ABLE-BODIED}), digits and the spelled
 * punctuation entries ({@code "CLOSE-QUOTE}, {@code {LEFT-BRACE}); their pronunciations are not
 * letter-to-sound problems (a compound's is its parts'), so they are counted and dropped. Stress
 * digits are removed unless {@code keepStress}; pronunciations of one word that become identical
 * are merged, the dictionary's order (main pronunciation first) kept.
 */
final class Cmudict {
    private Cmudict() {}

    /** Thrown when the dictionary file is not there (the command then names {@code kiln data fetch cmudict}). */
    static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message) {
            super(message);
        }
    }

    /** One spelling with its distinct pronunciations, the dictionary's main one first. */
    record Word(String spelling, List<List<String>> pronunciations) {
        Word {
            pronunciations = List.copyOf(pronunciations.stream().map(List::copyOf).toList());
        }
    }

    /** What {@link #parse} kept and dropped. */
    record Lexicon(List<Word> words, int entries, int droppedEntries, int comments) {
        int pronunciations() {
            return words.stream().mapToInt(w -> w.pronunciations().size()).sum();
        }
    }

    private static final Pattern KEPT_WORD = Pattern.compile("[A-Z']*[A-Z][A-Z']*");
    private static final Pattern VARIANT = Pattern.compile("\\((\\d+)\\)$");
    private static final Pattern PHONE = Pattern.compile("[A-Z]{1,2}[012]?");

    /** Reads {@code dir/dict.txt}. */
    static Lexicon read(Path dir, boolean keepStress) throws IOException {
        Path file = dir.resolve("dict.txt");
        if (!Files.isRegularFile(file)) {
            throw new MissingException("no dictionary at " + file);
        }
        // ISO-8859-1 decodes any byte: older releases have a few non-ASCII spellings, which the filter drops.
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            return parse(in.lines().toList(), file.toString(), keepStress);
        }
    }

    /**
     * Parses dictionary lines; {@code source} names them in error messages.
     *
     * @throws IllegalArgumentException naming the line when an entry has no phones or a phone that is not ARPAbet
     */
    static Lexicon parse(List<String> lines, String source, boolean keepStress) {
        Map<String, List<List<String>>> byWord = new LinkedHashMap<>();
        int entries = 0;
        int dropped = 0;
        int comments = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith(";;;")) {
                comments++;
                continue;
            }
            int hash = line.indexOf('#');
            String body = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (body.isEmpty()) {
                continue;
            }
            String[] fields = body.split("\\s+");
            String where = source + ":" + (i + 1);
            if (fields.length < 2) {
                throw new IllegalArgumentException(where + ": expected 'WORD  PHONE PHONE ...', found '" + line + "'");
            }
            entries++;
            String word = VARIANT.matcher(fields[0]).replaceFirst("");
            List<String> phones = new ArrayList<>(fields.length - 1);
            for (int f = 1; f < fields.length; f++) {
                if (!PHONE.matcher(fields[f]).matches()) {
                    throw new IllegalArgumentException(where + ": '" + fields[f] + "' is not an ARPAbet phone (letters and an optional"
                            + " stress digit 0-2) in '" + line + "'");
                }
                phones.add(keepStress ? fields[f] : stripStress(fields[f]));
            }
            if (!KEPT_WORD.matcher(word).matches()) {
                dropped++;
                continue;
            }
            List<List<String>> prons = byWord.computeIfAbsent(word, _ -> new ArrayList<>());
            if (!prons.contains(phones)) {
                prons.add(phones);
            }
        }
        List<Word> words = new ArrayList<>(byWord.size());
        byWord.forEach((w, p) -> words.add(new Word(w, p)));
        return new Lexicon(words, entries, dropped, comments);
    }

    static String stripStress(String phone) {
        char last = phone.charAt(phone.length() - 1);
        return last >= '0' && last <= '9' ? phone.substring(0, phone.length() - 1) : phone;
    }

    /** Training, validation and test words: a word and all its pronunciations land on one side. */
    record Split(List<Word> train, List<Word> validation, List<Word> test) {}

    /**
     * Shuffles the words with {@code seed} (java.util.Random, whose sequence is specified, so the
     * split is the same on every JVM) and takes the first {@code testWords} for test, the next
     * {@code validationWords} for validation and the rest for training.
     */
    static Split split(List<Word> words, int validationWords, int testWords, long seed) {
        if (validationWords < 0 || testWords < 1 || validationWords + testWords >= words.size()) {
            throw new IllegalArgumentException("Cmudict.split: need 1 <= test words and 0 <= validation words with test + validation < "
                    + words.size() + " words, got test " + testWords + ", validation " + validationWords);
        }
        List<Word> shuffled = new ArrayList<>(words);
        Collections.shuffle(shuffled, new Random(seed));
        return new Split(List.copyOf(shuffled.subList(testWords + validationWords, shuffled.size())),
                List.copyOf(shuffled.subList(testWords, testWords + validationWords)),
                List.copyOf(shuffled.subList(0, testWords)));
    }
}
