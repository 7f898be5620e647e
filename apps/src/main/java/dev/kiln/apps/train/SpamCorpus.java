package dev.kiln.apps.train;

import dev.kiln.data.text.MailMessage;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The SpamAssassin public corpus as labelled texts for {@code kiln train classify}. The data set
 * folder ({@code kiln data fetch spam-assassin}) holds one folder per group, one raw message per
 * file; a group called {@code spam*} is spam, one whose name contains {@code ham} is ham, and
 * other folders are ignored. Each message is parsed with {@link MailMessage}: its text is the
 * decoded Subject on the first line, then the readable body ({@link MailMessage#text()}: text
 * parts, HTML converted to text, attachments skipped). The other headers are dropped, since
 * they identify the corpus's collection process (dates, relays, the list servers the ham came
 * from) rather than the message.
 *
 * <p>Exact duplicates are removed before any split, so that no test message is also a training
 * message: two messages are duplicates when their texts read the same to the model ({@link
 * WordVocabulary#tokenize}: the same words in the same order, ignoring case and spacing). The
 * first in reading order (groups by name, files by name) is kept.
 */
public final class SpamCorpus {
    static final int HAM = 0;
    static final int SPAM = 1;
    static final List<String> CLASS_NAMES = List.of("ham", "spam");

    private SpamCorpus() {}

    /** Thrown when the folder or its groups are missing. */
    static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message) {
            super(message);
        }
    }

    /** One message: {@code group/file}, its label ({@link #HAM} or {@link #SPAM}) and its text. */
    record Mail(String id, int label, String text) {}

    /**
     * The distinct messages and what was dropped.
     *
     * @param perGroup messages read per group folder, in name order
     * @param duplicates messages dropped as duplicates of an earlier one
     * @param conflicting of those, the ones whose kept twin has the other label
     */
    record Corpus(List<Mail> mails, Map<String, Integer> perGroup, int duplicates, int conflicting) {
        int count(int label) {
            return (int) mails.stream().filter(m -> m.label() == label).count();
        }
    }

    /** The label a group folder's name gives, or -1 for a folder that is neither spam nor ham. */
    public static int labelOf(String group) {
        String g = group.toLowerCase(Locale.ROOT);
        if (g.startsWith("spam")) {
            return SPAM;
        }
        return g.contains("ham") ? HAM : -1;
    }

    /** The text the classifier reads: the Subject, a line break, the readable body. */
    public static String text(MailMessage m) {
        return m.subject() + "\n" + m.text();
    }

    /**
     * Reads the groups of {@code dir}.
     *
     * @param limitPerGroup read only the first N files (by name) of each group (0: all)
     */
    static Corpus read(Path dir, int limitPerGroup) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new MissingException(dir + " is not a directory");
        }
        List<Path> groups;
        try (Stream<Path> s = Files.list(dir)) {
            groups = s.filter(Files::isDirectory).filter(p -> labelOf(p.getFileName().toString()) >= 0).sorted().toList();
        }
        if (groups.stream().noneMatch(g -> labelOf(g.getFileName().toString()) == SPAM)
                || groups.stream().noneMatch(g -> labelOf(g.getFileName().toString()) == HAM)) {
            throw new MissingException(dir + " needs both spam-* and *ham* group folders, found "
                    + groups.stream().map(p -> p.getFileName().toString()).toList());
        }
        List<Mail> kept = new ArrayList<>();
        Map<String, Integer> perGroup = new LinkedHashMap<>();
        Map<String, Integer> firstLabel = new HashMap<>();
        int duplicates = 0;
        int conflicting = 0;
        for (Path group : groups) {
            String name = group.getFileName().toString();
            int label = labelOf(name);
            List<Path> files;
            try (Stream<Path> s = Files.list(group)) {
                // "cmds" is the corpus tarballs' shell script, not a message
                files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")
                        && !p.getFileName().toString().equals("cmds")).sorted().toList();
            }
            if (limitPerGroup > 0 && files.size() > limitPerGroup) {
                files = files.subList(0, limitPerGroup);
            }
            String[] texts = readTexts(files);
            perGroup.put(name, files.size());
            for (int i = 0; i < files.size(); i++) {
                Path f = files.get(i);
                String text = texts[i];
                Integer earlier = firstLabel.putIfAbsent(String.join(" ", WordVocabulary.tokenize(text)), label);
                if (earlier != null) {
                    duplicates++;
                    conflicting += earlier != label ? 1 : 0;
                    continue;
                }
                kept.add(new Mail(name + "/" + f.getFileName(), label, text));
            }
        }
        return new Corpus(kept, perGroup, duplicates, conflicting);
    }

    /** The texts of {@code files}, parsed in parallel (the order of the result is the order of the files). */
    private static String[] readTexts(List<Path> files) throws IOException {
        String[] texts = new String[files.size()];
        try {
            IntStream.range(0, files.size()).parallel().forEach(i -> {
                try {
                    texts[i] = text(MailMessage.parse(Files.readAllBytes(files.get(i))));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return texts;
    }

    /** Training, validation and test messages. */
    record Split(List<Mail> train, List<Mail> val, List<Mail> test) {}

    /**
     * A stratified split: each class is shuffled (seeded) and cut into test, validation and
     * training parts of the given fractions (rounded to whole messages, at least one of each
     * class in each part when the class has three or more messages), so every part has the
     * corpus's class balance.
     */
    static Split split(List<Mail> mails, double valFraction, double testFraction, long seed) {
        Generator g = new Generator(seed);
        List<Mail> train = new ArrayList<>();
        List<Mail> val = new ArrayList<>();
        List<Mail> test = new ArrayList<>();
        for (int label : new int[] {HAM, SPAM}) {
            List<Mail> cls = new ArrayList<>(mails.stream().filter(m -> m.label() == label).toList());
            shuffle(cls, g);
            int n = cls.size();
            int nTest = n >= 3 ? Math.max(1, (int) Math.round(n * testFraction)) : 0;
            int nVal = n >= 3 ? Math.max(1, (int) Math.round(n * valFraction)) : 0;
            if (nTest + nVal >= n) {
                throw new IllegalArgumentException("kiln train classify: " + CLASS_NAMES.get(label) + " has " + n
                        + " messages, too few for validation and test parts of " + valFraction + " and " + testFraction);
            }
            test.addAll(cls.subList(0, nTest));
            val.addAll(cls.subList(nTest, nTest + nVal));
            train.addAll(cls.subList(nTest + nVal, n));
        }
        shuffle(train, g);
        return new Split(train, val, test);
    }

    /** Fisher-Yates with {@code g}'s stream, so the order depends only on the seed. */
    static <T> void shuffle(List<T> list, Generator g) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = (int) Math.floor(g.nextDouble() * (i + 1));
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
