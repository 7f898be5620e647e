package dev.kiln.apps;

/** A count with its noun in the right number: "1 epoch", "2 epochs", "0 steps". */
public final class Plural {
    private Plural() {}

    /** {@code n} and {@code singular}, with an "s" unless {@code n} is 1. */
    public static String of(long n, String singular) {
        return of(n, singular, singular + "s");
    }

    /** {@code n} and {@code singular} or {@code plural} ("1 entry", "2 entries"). */
    public static String of(long n, String singular, String plural) {
        return n + " " + (n == 1 ? singular : plural);
    }
}
