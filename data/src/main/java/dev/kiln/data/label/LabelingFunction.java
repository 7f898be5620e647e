package dev.kiln.data.label;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A weak-supervision rule: it votes a label for a text or abstains (returns null). Implementations
 * are thread-safe and deterministic.
 */
public interface LabelingFunction {
    /** The name shown in the summary. */
    String name();

    /** The label this function gives {@code text}, or null to abstain. */
    String vote(String text);

    /**
     * Votes {@code label} when {@code text} contains one of {@code keywords} as a whole word or
     * phrase, ignoring case: the characters just before and after the match must not be letters
     * or digits (so "cat" matches "a cat." but not "category").
     */
    static LabelingFunction keywords(String name, String label, Collection<String> keywords) {
        Objects.requireNonNull(name, "LabelingFunction.keywords: name");
        Objects.requireNonNull(label, "LabelingFunction.keywords: label");
        List<String> lower = new ArrayList<>();
        for (String k : keywords) {
            if (k == null || k.isBlank()) {
                throw new IllegalArgumentException("LabelingFunction.keywords '" + name + "': blank keyword in " + keywords);
            }
            lower.add(k.strip().toLowerCase(Locale.ROOT));
        }
        if (lower.isEmpty()) {
            throw new IllegalArgumentException("LabelingFunction.keywords '" + name + "': no keywords");
        }
        return of(name, text -> {
            String t = text.toLowerCase(Locale.ROOT);
            for (String k : lower) {
                if (containsWord(t, k)) {
                    return label;
                }
            }
            return null;
        });
    }

    private static boolean containsWord(String text, String word) {
        int from = 0;
        while (true) {
            int at = text.indexOf(word, from);
            if (at < 0) {
                return false;
            }
            int end = at + word.length();
            boolean startOk = at == 0 || !Character.isLetterOrDigit(text.codePointBefore(at));
            boolean endOk = end == text.length() || !Character.isLetterOrDigit(text.codePointAt(end));
            if (startOk && endOk) {
                return true;
            }
            from = at + 1;
        }
    }

    /** Votes {@code label} when {@code pattern} is found anywhere in the text ({@link java.util.regex.Matcher#find}). */
    static LabelingFunction regex(String name, String label, Pattern pattern) {
        Objects.requireNonNull(label, "LabelingFunction.regex: label");
        Objects.requireNonNull(pattern, "LabelingFunction.regex: pattern");
        return of(name, text -> pattern.matcher(text).find() ? label : null);
    }

    /** Votes {@code label} when {@code test} holds. */
    static LabelingFunction predicate(String name, String label, Predicate<String> test) {
        Objects.requireNonNull(label, "LabelingFunction.predicate: label");
        Objects.requireNonNull(test, "LabelingFunction.predicate: test");
        return of(name, text -> test.test(text) ? label : null);
    }

    /** A function named {@code name} that votes what {@code rule} returns (null: abstain). */
    static LabelingFunction of(String name, java.util.function.Function<String, String> rule) {
        Objects.requireNonNull(name, "LabelingFunction.of: name");
        Objects.requireNonNull(rule, "LabelingFunction.of: rule");
        return new LabelingFunction() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String vote(String text) {
                return rule.apply(text);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
