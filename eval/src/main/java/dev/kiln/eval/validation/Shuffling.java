package dev.kiln.eval.validation;

import java.util.random.RandomGenerator;

/** Fisher–Yates shuffles driven by a seeded generator. */
final class Shuffling {
    private Shuffling() {}

    static void shuffle(int[] a, RandomGenerator random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
