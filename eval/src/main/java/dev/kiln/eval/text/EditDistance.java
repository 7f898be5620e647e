package dev.kiln.eval.text;

import java.util.List;
import java.util.Objects;

/**
 * Levenshtein distance: the fewest insertions, deletions and substitutions (each costing 1) that
 * turn one sequence into another. The sequences are token ids, tokens of any type compared with
 * {@link Object#equals}, or the code points of strings.
 *
 * <p>Two rows of the dynamic-programming table, so memory is O(min length) and time
 * O(|a|·|b|). Stateless and thread-safe.
 */
public final class EditDistance {
    private EditDistance() {}

    /** The distance between two token-id sequences. */
    public static int levenshtein(int[] a, int[] b) {
        Objects.requireNonNull(a, "EditDistance.levenshtein: a must not be null");
        Objects.requireNonNull(b, "EditDistance.levenshtein: b must not be null");
        return compute(a.length, b.length, (i, j) -> a[i] == b[j]);
    }

    /** The distance between two token sequences, tokens compared with {@code equals}. */
    public static <T> int levenshtein(List<? extends T> a, List<? extends T> b) {
        Objects.requireNonNull(a, "EditDistance.levenshtein: a must not be null");
        Objects.requireNonNull(b, "EditDistance.levenshtein: b must not be null");
        // Copy to arrays once: List.get may be O(n) (a LinkedList), and the inner loop calls it |a|·|b| times.
        Object[] x = a.toArray();
        Object[] y = b.toArray();
        return compute(x.length, y.length, (i, j) -> Objects.equals(x[i], y[j]));
    }

    /** The distance between two strings over Unicode code points (a surrogate pair is one symbol). */
    public static int levenshtein(String a, String b) {
        Objects.requireNonNull(a, "EditDistance.levenshtein: a must not be null");
        Objects.requireNonNull(b, "EditDistance.levenshtein: b must not be null");
        return levenshtein(a.codePoints().toArray(), b.codePoints().toArray());
    }

    @FunctionalInterface
    private interface Same {
        boolean at(int i, int j);
    }

    private static int compute(int n, int m, Same same) {
        if (n == 0 || m == 0) {
            return n + m;
        }
        // prev[j] = distance(a[0, i), b[0, j)); cur is row i + 1.
        int[] prev = new int[m + 1];
        int[] cur = new int[m + 1];
        for (int j = 0; j <= m; j++) {
            prev[j] = j;
        }
        for (int i = 0; i < n; i++) {
            cur[0] = i + 1;
            for (int j = 0; j < m; j++) {
                int substitute = prev[j] + (same.at(i, j) ? 0 : 1);
                int delete = prev[j + 1] + 1;
                int insert = cur[j] + 1;
                cur[j + 1] = Math.min(substitute, Math.min(delete, insert));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[m];
    }
}
