package dev.kiln.tensor.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PackedGemm against a naive double-precision triple loop, for every layout, size class and vector width. */
class PackedGemmTest {
    /** The signature of {@link PackedGemm#sgemm}, so the same checks can drive other-width copies. */
    @FunctionalInterface
    interface Sgemm {
        void run(boolean transA, boolean transB, int m, int n, int k, float alpha,
                 float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                 float beta, float[] c, int cOff, int ldc) throws Throwable;
    }

    /**
     * m, n, k: empty, scalar, the tiny-loop limit (4³) and just past it, odd tails on every edge,
     * several KC slabs (k > 512), several MC and NC blocks (m > 96, n > 1024).
     */
    private static final int[][] SIZES = {
        {0, 0, 0}, {0, 5, 3}, {4, 0, 3}, {3, 4, 0}, {1, 1, 1}, {2, 3, 1}, {4, 4, 4}, {4, 4, 5}, {7, 13, 5}, {8, 32, 16},
        {9, 33, 17}, {33, 65, 17}, {130, 97, 301}, {96, 64, 256}, {20, 1100, 300}, {17, 40, 1100},
        {1, 9, 1030}, {3, 5, 37},   // skinny C: NT goes to SkinnyGemm's dot products
        {20, 9, 5000}, {22, 10, 4500}, // ... in 4x3 register blocks over two k slabs, with row and column tails
    };
    /** alpha, beta: plain overwrite (C pre-filled with NaN), accumulate, both scaled, alpha = 0. */
    private static final float[][] SCALARS = {{1f, 0f}, {1f, 1f}, {1.5f, 0.5f}, {-0.75f, 0f}, {0f, 0.5f}};

    private final int savedThreads = CpuParallel.threads();

    @AfterEach
    void restoreThreads() {
        CpuParallel.setThreads(savedThreads);
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void matchesReferenceForAllLayouts(int threads) throws Throwable {
        CpuParallel.setThreads(threads);
        checkAll(PackedGemm::sgemm, "preferred");
    }

    @ParameterizedTest(name = "vectorBits={0}")
    @ValueSource(ints = {128, 256, 512})
    void matchesReferenceAtEveryVectorWidth(int bits) throws Throwable {
        MethodHandle sgemm = loadWithVectorBits(bits);
        CpuParallel.setThreads(2);
        checkAll((ta, tb, m, n, k, al, a, ao, lda, b, bo, ldb, be, c, co, ldc) -> {
            sgemm.invokeExact(ta, tb, m, n, k, al, a, ao, lda, b, bo, ldb, be, c, co, ldc);
        }, bits + "-bit");
    }

    @Test
    void sameResultAtAnyThreadCount() {
        int m = 130, n = 97, k = 301;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] a = random(rnd, m * k), b = random(rnd, k * n);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        CpuParallel.setThreads(1);
        PackedGemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c1, 0, n);
        CpuParallel.setThreads(2);
        PackedGemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c2, 0, n);
        assertTrue(java.util.Arrays.equals(c1, c2), "bands must not change the summation order");
        // SkinnyGemm's k slabs: split across threads, added in slab order
        int sm = 20, sn = 9, sk = 9000;
        float[] sa = random(rnd, sm * sk), sb = random(rnd, sn * sk);
        float[] s1 = new float[sm * sn], s2 = new float[sm * sn];
        CpuParallel.setThreads(1);
        PackedGemm.sgemm(false, true, sm, sn, sk, 1f, sa, 0, sk, sb, 0, sk, 0f, s1, 0, sn);
        CpuParallel.setThreads(2);
        PackedGemm.sgemm(false, true, sm, sn, sk, 1f, sa, 0, sk, sb, 0, sk, 0f, s2, 0, sn);
        assertTrue(java.util.Arrays.equals(s1, s2), "k slabs must not change the summation order");
    }

    @Test
    void rejectsBadArguments() {
        float[] x = new float[12];
        assertMessage(() -> PackedGemm.sgemm(false, false, -1, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2), "m=-1");
        assertMessage(() -> PackedGemm.sgemm(false, false, 2, 2, 3, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2), "lda=2");
        assertMessage(() -> PackedGemm.sgemm(true, false, 3, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2), "lda=2");
        assertMessage(() -> PackedGemm.sgemm(false, true, 2, 3, 2, 1f, x, 0, 2, x, 0, 1, 0f, x, 0, 3), "ldb=1");
        assertMessage(() -> PackedGemm.sgemm(false, false, 2, 3, 2, 1f, x, 0, 2, x, 0, 3, 0f, x, 0, 2), "ldc=2");
        assertMessage(() -> PackedGemm.sgemm(false, false, 3, 3, 3, 1f, x, 4, 3, x, 0, 3, 0f, x, 0, 3),
                "A has length 12");
        assertMessage(() -> PackedGemm.sgemm(false, false, 2, 2, 2, 1f, x, 0, 2, new float[3], 0, 2, 0f, x, 0, 2),
                "B has length 3");
        assertMessage(() -> PackedGemm.sgemm(false, false, 2, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, x, -1, 2),
                "C offset");
        assertThrows(NullPointerException.class,
                () -> PackedGemm.sgemm(false, false, 2, 2, 2, 1f, null, 0, 2, x, 0, 2, 0f, x, 0, 2));
        // Empty operands are legal and touch nothing, whatever the array lengths.
        PackedGemm.sgemm(false, false, 0, 0, 0, 1f, new float[0], 0, 0, new float[0], 0, 0, 0f, new float[0], 0, 0);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static void checkAll(Sgemm sgemm, String label) throws Throwable {
        SplittableRandom rnd = new SplittableRandom(42);
        List<String> failures = new ArrayList<>();
        for (int[] size : SIZES) {
            for (int layout = 0; layout < 4; layout++) {
                boolean transA = (layout & 1) != 0, transB = (layout & 2) != 0;
                for (float[] s : SCALARS) {
                    // Every other case uses offsets and leading dimensions wider than the rows.
                    boolean padded = rnd.nextBoolean();
                    String err = checkOne(sgemm, rnd, transA, transB, size[0], size[1], size[2], s[0], s[1], padded);
                    if (err != null) {
                        failures.add(label + " " + err);
                    }
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " cases failed, first ones:\n" + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
        }
    }

    /** Returns null when sgemm matches the reference, else a description of the worst element. */
    private static String checkOne(Sgemm sgemm, SplittableRandom rnd, boolean transA, boolean transB,
                                   int m, int n, int k, float alpha, float beta, boolean padded) throws Throwable {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int aOff = padded ? 3 : 0, bOff = padded ? 5 : 0, cOff = padded ? 7 : 0;
        int lda = aCols + (padded ? 4 : 0), ldb = bCols + (padded ? 2 : 0), ldc = n + (padded ? 3 : 0);
        float[] a = random(rnd, aOff + aRows * lda);
        float[] b = random(rnd, bOff + bRows * ldb);
        float[] c = random(rnd, cOff + m * ldc + 2);
        if (beta == 0f) {
            java.util.Arrays.fill(c, Float.NaN);    // must not leak into the result
        }
        if (alpha == 0f) {
            java.util.Arrays.fill(a, Float.NaN);    // A and B must not be read
        }
        float[] before = c.clone();
        sgemm.run(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        String what = String.format("%s%s m=%d n=%d k=%d alpha=%s beta=%s padded=%s",
                transA ? "T" : "N", transB ? "T" : "N", m, n, k, alpha, beta, padded);
        double worst = 0;
        String worstAt = null;
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cOff;
            int i = rel < 0 || ldc == 0 ? -1 : rel / ldc, j = rel < 0 || ldc == 0 ? -1 : rel % ldc;
            boolean inside = i >= 0 && i < m && j < n;
            if (!inside) {
                if (Float.floatToRawIntBits(c[idx]) != Float.floatToRawIntBits(before[idx])) {
                    return what + ": wrote outside C at index " + idx;
                }
                continue;
            }
            double ref = 0, mag = 0;
            if (alpha != 0f) {
                for (int p = 0; p < k; p++) {
                    double x = a[aOff + (transA ? p * lda + i : i * lda + p)];
                    double y = b[bOff + (transB ? j * ldb + p : p * ldb + j)];
                    ref += x * y;
                    mag += Math.abs(x * y);
                }
            }
            ref *= alpha;
            mag *= Math.abs(alpha);
            if (beta != 0f) {
                ref += (double) beta * before[idx];
                mag += Math.abs((double) beta * before[idx]);
            }
            // fp32 accumulation: error grows at most ~linearly in k relative to the sum of |terms|.
            double tol = 1e-6 * (k + 2) * mag + 1e-30;
            double err = Math.abs(c[idx] - ref);
            if (!(err <= tol)) {
                if (Double.isNaN(err) || err / tol > worst) {
                    worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / tol;
                    worstAt = String.format("C[%d,%d]=%s expected %s (tol %.3g)", i, j, c[idx], ref, tol);
                }
            }
        }
        return worstAt == null ? null : what + ": " + worstAt;
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    /**
     * Loads a private copy of the kernel package with {@code kiln.gemm.vectorBits} set, so the
     * static final species (and with it the micro-kernel shape) differs from this JVM's default.
     */
    private static MethodHandle loadWithVectorBits(int bits) throws Exception {
        URL classes = PackedGemm.class.getProtectionDomain().getCodeSource().getLocation();
        String pkg = PackedGemm.class.getPackageName() + ".";
        ClassLoader isolated = new URLClassLoader(new URL[] {classes}, PackedGemmTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!name.startsWith(pkg) || name.contains("Test")) {
                    return super.loadClass(name, resolve);
                }
                synchronized (getClassLoadingLock(name)) {
                    Class<?> loaded = findLoadedClass(name);
                    return loaded != null ? loaded : findClass(name);
                }
            }
        };
        String key = "kiln.gemm.vectorBits";
        String saved = System.getProperty(key);
        System.setProperty(key, Integer.toString(bits));
        Class<?> gemm;
        try {
            gemm = Class.forName(PackedGemm.class.getName(), true, isolated);
        } finally {
            if (saved == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, saved);
            }
        }
        var species = gemm.getDeclaredField("SPECIES");
        species.setAccessible(true);
        assertEquals(bits, ((VectorSpecies<?>) species.get(null)).vectorBitSize());
        MethodType type = MethodType.methodType(void.class, boolean.class, boolean.class, int.class, int.class,
                int.class, float.class, float[].class, int.class, int.class, float[].class, int.class, int.class,
                float.class, float[].class, int.class, int.class);
        return MethodHandles.publicLookup().findStatic(gemm, "sgemm", type);
    }
}
