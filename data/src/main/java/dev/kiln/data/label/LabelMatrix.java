package dev.kiln.data.label;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The votes of m labeling functions on n examples (null = abstain), with majority vote and the
 * per-function and overall statistics of Snorkel's {@code LFAnalysis}. Immutable.
 */
public final class LabelMatrix {
    private final List<String> functionNames;
    private final String[][] votes; // [example][function]

    /** {@code votes[i][j]} is function j's vote on example i (null: abstain); copied. */
    public LabelMatrix(List<String> functionNames, String[][] votes) {
        this.functionNames = List.copyOf(functionNames);
        this.votes = new String[votes.length][];
        for (int i = 0; i < votes.length; i++) {
            if (votes[i].length != functionNames.size()) {
                throw new IllegalArgumentException("LabelMatrix: example " + i + " has " + votes[i].length + " votes, there are "
                        + functionNames.size() + " functions");
            }
            this.votes[i] = votes[i].clone();
        }
    }

    public int examples() {
        return votes.length;
    }

    public List<String> functionNames() {
        return functionNames;
    }

    /** Function {@code function}'s vote on example {@code example}, null when it abstained. */
    public String vote(int example, int function) {
        return votes[example][function];
    }

    /**
     * The label with the most votes for each example; null when no function voted, and on ties as
     * {@code ties} says.
     */
    public String[] majorityVote(TiePolicy ties) {
        Objects.requireNonNull(ties, "LabelMatrix.majorityVote: ties");
        String[] out = new String[votes.length];
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < votes.length; i++) {
            counts.clear();
            for (String v : votes[i]) {
                if (v != null) {
                    counts.merge(v, 1, Integer::sum);
                }
            }
            int best = 0;
            List<String> leaders = new ArrayList<>();
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                if (e.getValue() > best) {
                    best = e.getValue();
                    leaders.clear();
                    leaders.add(e.getKey());
                } else if (e.getValue() == best) {
                    leaders.add(e.getKey());
                }
            }
            if (leaders.size() == 1) {
                out[i] = leaders.getFirst();
            } else if (leaders.size() > 1 && ties == TiePolicy.FIRST_LABEL) {
                out[i] = leaders.stream().min(String::compareTo).orElseThrow();
            }
        }
        return out;
    }

    private int votesOn(int example) {
        int n = 0;
        for (String v : votes[example]) {
            n += v != null ? 1 : 0;
        }
        return n;
    }

    private boolean hasConflict(int example) {
        String first = null;
        for (String v : votes[example]) {
            if (v != null) {
                if (first == null) {
                    first = v;
                } else if (!first.equals(v)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Fraction of examples with at least one vote. */
    public double coverage() {
        return fraction(i -> votesOn(i) >= 1);
    }

    /** Fraction of examples with at least two votes. */
    public double overlap() {
        return fraction(i -> votesOn(i) >= 2);
    }

    /** Fraction of examples with at least two different labels among their votes. */
    public double conflict() {
        return fraction(this::hasConflict);
    }

    private double fraction(java.util.function.IntPredicate test) {
        if (votes.length == 0) {
            return 0;
        }
        int n = 0;
        for (int i = 0; i < votes.length; i++) {
            n += test.test(i) ? 1 : 0;
        }
        return (double) n / votes.length;
    }

    /** Per-function statistics, without gold labels. */
    public List<LfSummary> summary() {
        return summary(null);
    }

    /**
     * Per-function statistics; with {@code gold} (one label per example, null for unknown) also
     * the correct and incorrect counts.
     */
    public List<LfSummary> summary(List<String> gold) {
        if (gold != null && gold.size() != votes.length) {
            throw new IllegalArgumentException("LabelMatrix.summary: " + gold.size() + " gold labels for " + votes.length
                    + " examples");
        }
        List<LfSummary> out = new ArrayList<>();
        int n = votes.length;
        for (int j = 0; j < functionNames.size(); j++) {
            TreeSet<String> polarity = new TreeSet<>();
            int covered = 0;
            int overlapped = 0;
            int conflicted = 0;
            long correct = gold == null ? -1 : 0;
            long incorrect = gold == null ? -1 : 0;
            for (int i = 0; i < n; i++) {
                String mine = votes[i][j];
                if (mine == null) {
                    continue;
                }
                polarity.add(mine);
                covered++;
                boolean overlap = false;
                boolean conflict = false;
                for (int k = 0; k < functionNames.size(); k++) {
                    String other = votes[i][k];
                    if (k != j && other != null) {
                        overlap = true;
                        conflict |= !other.equals(mine);
                    }
                }
                overlapped += overlap ? 1 : 0;
                conflicted += conflict ? 1 : 0;
                if (gold != null && gold.get(i) != null) {
                    if (gold.get(i).equals(mine)) {
                        correct++;
                    } else {
                        incorrect++;
                    }
                }
            }
            double denom = Math.max(n, 1);
            out.add(new LfSummary(functionNames.get(j), java.util.Collections.unmodifiableSortedSet(polarity),
                    covered / denom, overlapped / denom, conflicted / denom, correct, incorrect));
        }
        return out;
    }

    /** The summary as a table, one row per function, then the overall coverage, overlap and conflict. */
    public String summaryTable(List<String> gold) {
        List<LfSummary> rows = summary(gold);
        int width = "function".length();
        for (LfSummary s : rows) {
            width = Math.max(width, s.name().length());
        }
        StringBuilder sb = new StringBuilder();
        String head = "%-" + width + "s %-20s %9s %9s %9s" + (gold != null ? " %8s %9s %9s" : "") + "%n";
        sb.append(gold != null
                ? String.format(head, "function", "polarity", "coverage", "overlaps", "conflicts", "correct", "incorrect", "emp.acc")
                : String.format(head, "function", "polarity", "coverage", "overlaps", "conflicts"));
        for (LfSummary s : rows) {
            String polarity = String.join(",", s.polarity());
            if (gold != null) {
                sb.append(String.format("%-" + width + "s %-20s %9.4f %9.4f %9.4f %8d %9d %9.4f%n", s.name(), polarity,
                        s.coverage(), s.overlaps(), s.conflicts(), s.correct(), s.incorrect(), s.empiricalAccuracy()));
            } else {
                sb.append(String.format("%-" + width + "s %-20s %9.4f %9.4f %9.4f%n", s.name(), polarity, s.coverage(),
                        s.overlaps(), s.conflicts()));
            }
        }
        sb.append(String.format("examples %d, coverage %.4f, overlap %.4f, conflict %.4f%n", examples(), coverage(),
                overlap(), conflict()));
        return sb.toString();
    }
}
