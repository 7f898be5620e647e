package dev.kiln.apps.data;

import dev.kiln.data.io.IdxArray;
import dev.kiln.data.io.IdxReader;
import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.io.TextFile;
import dev.kiln.data.stream.CsvTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks that a fetched data set is complete and well formed, and counts its records. Each check
 * takes the expected counts as arguments (the catalog passes the real data set's), so tests can
 * run them on small generated files. A failed check throws {@link MalformedDataException} saying
 * which file and what was expected.
 */
final class Verifiers {
    private Verifiers() {}

    /** A file of {@code dir} named {@code base} or {@code base.gz}. */
    static Path plainOrGz(Path dir, String base) throws MalformedDataException {
        for (String name : List.of(base, base + ".gz")) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new MalformedDataException(dir + ": missing " + base + " (or " + base + ".gz)");
    }

    /**
     * MNIST-layout images and labels: {@code <prefix>-images-idx3-ubyte} of {@code [n, h, w]}
     * unsigned bytes and {@code <prefix>-labels-idx1-ubyte} of {@code n} labels in {@code [0, classes)}.
     * Returns the class histogram.
     */
    static long[] idxImages(Path dir, String prefix, int n, int h, int w, int classes) throws IOException {
        Path imagesFile = plainOrGz(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = plainOrGz(dir, prefix + "-labels-idx1-ubyte");
        IdxArray images = IdxReader.read(imagesFile);
        if (images.type() != IdxArray.Type.UBYTE || !Arrays.equals(images.dims(), new int[] {n, h, w})) {
            throw new MalformedDataException(imagesFile + ": expected UBYTE [" + n + ", " + h + ", " + w + "], found "
                    + images.type() + " " + Arrays.toString(images.dims()));
        }
        IdxArray labels = IdxReader.read(labelsFile);
        if (labels.type() != IdxArray.Type.UBYTE || !Arrays.equals(labels.dims(), new int[] {n})) {
            throw new MalformedDataException(labelsFile + ": expected UBYTE [" + n + "], found " + labels.type() + " "
                    + Arrays.toString(labels.dims()));
        }
        long[] histogram = new long[classes];
        for (int i = 0; i < n; i++) {
            long y = labels.getLong(i);
            if (y < 0 || y >= classes) {
                throw new MalformedDataException(labelsFile + ": label " + i + " is " + y + ", expected 0.." + (classes - 1));
            }
            histogram[(int) y]++;
        }
        return histogram;
    }

    /** Fashion-MNIST: train and t10k sets of 28×28 images with labels 0..9. */
    static Map<String, Object> fashionMnist(Path dir, int train, int test) throws IOException {
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("train", train);
        counts.put("test", test);
        counts.put("imageShape", List.of(28, 28));
        counts.put("trainPerClass", toList(idxImages(dir, "train", train, 28, 28, 10)));
        counts.put("testPerClass", toList(idxImages(dir, "t10k", test, 28, 28, 10)));
        return counts;
    }

    /** Seattle hourly temperatures: a CSV with columns date and temp, {@code rows} data rows. */
    static Map<String, Object> seattleTemps(Path dir, int rows) throws IOException {
        Path f = dir.resolve("seattle-temps.csv");
        if (!Files.isRegularFile(f)) {
            throw new MalformedDataException(dir + ": missing seattle-temps.csv");
        }
        CsvTable t = CsvTable.read(f, true);
        if (!t.columns().equals(List.of("date", "temp"))) {
            throw new MalformedDataException(f + ": expected columns [date, temp], found " + t.columns());
        }
        if (t.rowCount() != rows) {
            throw new MalformedDataException(f + ": expected " + rows + " rows, found " + t.rowCount());
        }
        double[] temp = t.doubleColumn("temp");
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("rows", t.rowCount());
        counts.put("firstDate", t.get(0, "date"));
        counts.put("lastDate", t.get(t.rowCount() - 1, "date"));
        counts.put("minTemp", Arrays.stream(temp).min().orElse(Double.NaN));
        counts.put("maxTemp", Arrays.stream(temp).max().orElse(Double.NaN));
        return counts;
    }

    private static final Pattern BROWN_DOC = Pattern.compile("c[a-r]\\d\\d");

    /** The Brown corpus: {@code documents} files {@code c[a-r]NN} of word/TAG tokens. */
    static Map<String, Object> brown(Path dir, int documents) throws IOException {
        List<Path> docs;
        try (Stream<Path> s = Files.list(dir)) {
            docs = s.filter(p -> BROWN_DOC.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        if (docs.size() != documents) {
            throw new MalformedDataException(dir + ": expected " + documents + " Brown documents (ca01..), found " + docs.size());
        }
        long tokens = 0;
        long sentences = 0;
        Map<String, Integer> perCategory = new TreeMap<>();
        for (Path doc : docs) {
            String text = TextFile.read(doc, StandardCharsets.UTF_8);
            int line = 0;
            for (String l : text.split("\n")) {
                line++;
                if (l.isBlank()) {
                    continue;
                }
                sentences++;
                for (String tok : l.strip().split("\\s+")) {
                    if (tok.lastIndexOf('/') <= 0) {
                        throw new MalformedDataException(doc + ":" + line + ": token '" + tok + "' is not word/TAG");
                    }
                    tokens++;
                }
            }
            perCategory.merge(doc.getFileName().toString().substring(1, 2), 1, Integer::sum);
        }
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("documents", docs.size());
        counts.put("sentences", sentences);
        counts.put("tokens", tokens);
        counts.put("documentsPerCategory", perCategory);
        return counts;
    }

    private static final Pattern SPAM_NAME = Pattern.compile("\\d{5}\\.([0-9a-f]{32})\\.txt");

    /**
     * The SpamAssassin public corpus: one directory per group of raw messages named
     * {@code NNNNN.<md5 of the content>.txt}; every file's MD5 is checked against its name, except
     * the {@code group/file} names in {@code knownMismatches} (counted in the result instead).
     */
    static Map<String, Object> spamAssassin(Path dir, Map<String, Integer> groups, Set<String> knownMismatches)
            throws IOException {
        int mismatches = 0;
        Map<String, Object> perGroup = new LinkedHashMap<>();
        long ham = 0;
        long spam = 0;
        for (Map.Entry<String, Integer> g : groups.entrySet()) {
            Path gd = dir.resolve(g.getKey());
            List<Path> files = new ArrayList<>();
            if (Files.isDirectory(gd)) {
                try (Stream<Path> s = Files.list(gd)) {
                    files.addAll(s.sorted().toList());
                }
            }
            if (files.size() != g.getValue()) {
                throw new MalformedDataException(gd + ": expected " + g.getValue() + " messages, found " + files.size());
            }
            for (Path f : files) {
                Matcher m = SPAM_NAME.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    throw new MalformedDataException(f + ": name is not NNNNN.<md5>.txt");
                }
                String md5 = hex("MD5", Files.readAllBytes(f));
                if (!md5.equals(m.group(1)) && knownMismatches.contains(g.getKey() + "/" + f.getFileName())) {
                    mismatches++;
                } else if (!md5.equals(m.group(1))) {
                    throw new MalformedDataException(f + ": MD5 of the content is " + md5 + ", the name says " + m.group(1));
                }
            }
            perGroup.put(g.getKey(), files.size());
            if (g.getKey().startsWith("spam")) {
                spam += files.size();
            } else {
                ham += files.size();
            }
        }
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("messages", ham + spam);
        counts.put("ham", ham);
        counts.put("spam", spam);
        counts.put("perGroup", perGroup);
        counts.put("knownMd5Mismatches", mismatches);
        return counts;
    }

    /**
     * CMUdict: {@code dict.txt} lines {@code WORD  PH1 PH2 ...} (two spaces after the word), every
     * phone listed in {@code symbols.txt}; {@code entries} lines in all.
     */
    static Map<String, Object> cmudict(Path dir, int entries) throws IOException {
        Path symbolsFile = dir.resolve("symbols.txt");
        Path dictFile = dir.resolve("dict.txt");
        for (Path p : List.of(symbolsFile, dictFile)) {
            if (!Files.isRegularFile(p)) {
                throw new MalformedDataException(dir + ": missing " + p.getFileName());
            }
        }
        Set<String> symbols = new HashSet<>();
        for (String l : TextFile.lines(symbolsFile, StandardCharsets.UTF_8)) {
            if (!l.isBlank()) {
                symbols.add(l.strip());
            }
        }
        int n = 0;
        int line = 0;
        Set<String> words = new HashSet<>();
        for (String l : TextFile.lines(dictFile, StandardCharsets.UTF_8)) {
            line++;
            if (l.isBlank() || l.startsWith(";;;")) {
                continue;
            }
            int sep = l.indexOf("  ");
            if (sep <= 0) {
                throw new MalformedDataException(dictFile + ":" + line + ": expected 'WORD  PHONES', found '" + l + "'");
            }
            for (String ph : l.substring(sep + 2).strip().split(" ")) {
                if (!symbols.contains(ph)) {
                    throw new MalformedDataException(dictFile + ":" + line + ": phone '" + ph + "' is not in " + symbolsFile);
                }
            }
            words.add(l.substring(0, sep).replaceAll("\\(\\d+\\)$", ""));
            n++;
        }
        if (n != entries) {
            throw new MalformedDataException(dictFile + ": expected " + entries + " entries, found " + n);
        }
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("entries", n);
        counts.put("words", words.size());
        counts.put("symbols", symbols.size());
        return counts;
    }

    static String hex(String algorithm, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }

    private static List<Long> toList(long[] a) {
        return Arrays.stream(a).boxed().toList();
    }
}
