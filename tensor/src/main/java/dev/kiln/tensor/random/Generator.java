package dev.kiln.tensor.random;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import java.util.Objects;

/**
 * A seeded, splittable, counter-based random generator: Philox4x32-10 (Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC'11), the generator of PyTorch's CUDA backend and of JAX.
 *
 * <p><b>Model.</b> The 64-bit seed is the Philox key; {@link #offset()} counts 128-bit blocks
 * already used. Block {@code i} of the stream is {@code philox(key, counter = (i, 0))} (the 128-bit
 * counter's low 64 bits hold {@code i}, its high 64 bits are zero), so a value depends only on the
 * seed and its position, never on how the work was split: fills run in parallel chunks through
 * {@link CpuParallel} and give bit-identical results at any thread count.
 *
 * <p><b>Consumption.</b> Every call reserves a run of blocks starting at the current offset and
 * advances the offset by an amount that depends only on its length:
 * <ul>
 *   <li>{@link #fillUniform}, {@link #fillNormal}: {@code ceil(n / 4)} blocks; element {@code j}
 *       uses 32-bit word {@code j % 4} of block {@code offset + j / 4} (normals come in Box–Muller
 *       pairs from words (0, 1) and (2, 3)). Filling {@code n} then {@code m} elements therefore
 *       equals filling {@code n + m} at once exactly when {@code n} is a multiple of 4.
 *   <li>{@link #fillRandInt}: {@code n} blocks, one per element; splitting a fill never changes it.
 *   <li>{@link #nextLong}, {@link #nextFloat}, {@link #nextDouble}: one block each.
 * </ul>
 *
 * <p><b>Splitting.</b> {@link #split()} derives the {@code k}-th child's seed from this seed and
 * {@code k} alone (a Philox block whose counter's high word carries a tag data blocks never use),
 * and increments {@code k}. Children start at offset 0; they are independent of how many numbers
 * the parent drew. Distinct streams collide only if two derived 64-bit seeds do (birthday bound:
 * about {@code s²/2^65} for {@code s} streams).
 *
 * <p><b>Checkpoints.</b> {@link #state()} and {@link #restore(State)} capture and reinstate seed,
 * offset and split count, which is everything: a restored generator continues bit-exactly.
 *
 * <p><b>Transcendentals</b> use {@link StrictMath}, so normals are identical on every JVM and CPU,
 * not only across runs on one machine.
 *
 * <p><b>The default generator.</b> {@link #defaultGenerator()} is the one process-wide stream that
 * layers draw their initial weights from when no generator is passed (torch's default CPU
 * generator); {@link #manualSeed(long)} rewinds it to the start of a seed's stream, as
 * {@code torch.manual_seed} does, so {@code manualSeed(s)} followed by the same constructions gives
 * the same weights. It starts at seed {@value #DEFAULT_SEED}.
 *
 * <p>Not thread-safe: one generator must not be used by two threads at once (a single fill call
 * may itself use several threads). Give each thread its own generator via {@link #split()}. This
 * holds for the default generator too: {@link #defaultGenerator()} and {@link #manualSeed(long)}
 * may be called from any thread, but draws from the shared instance (constructing layers without an
 * explicit generator) must not overlap; build models on one thread, or pass each thread its own
 * generator.
 */
public final class Generator {
    /**
     * Everything a generator is: restoring it reproduces the stream bit-exactly.
     *
     * @param seed the Philox key
     * @param offset blocks of 128 bits already consumed, {@code >= 0}
     * @param splits children already split off, {@code >= 0}
     */
    public record State(long seed, long offset, long splits) {
        public State {
            if (offset < 0 || splits < 0) {
                throw new IllegalArgumentException(
                        "Generator.State: offset and splits must be >= 0, got offset=" + offset + ", splits=" + splits);
            }
        }
    }

    // Philox4x32 multipliers and Weyl key increments, from the published definition.
    private static final long M0 = 0xD251_1F53L;
    private static final long M1 = 0xCD9E_8D57L;
    private static final int W0 = 0x9E37_79B9;
    private static final int W1 = 0xBB67_AE85;
    /** Counter word 2 of split derivation blocks ("SPLT"); data blocks always have it zero. */
    private static final int SPLIT_TAG = 0x5350_4C54;

    /** Blocks per parallel chunk: ~20 µs of Philox work (measured ~20 ns a block), well above a fork's cost. */
    private static final int GRAIN_BLOCKS = 1024;
    /** Normals cost a log, a sqrt, a sin and a cos per pair on top: smaller chunks suffice. */
    private static final int GRAIN_NORMAL_BLOCKS = 128;

    /** The seed of the default generator before any {@link #manualSeed(long)}. */
    public static final long DEFAULT_SEED = 0;

    private static final Generator DEFAULT = new Generator(DEFAULT_SEED);

    private long seed;
    private long offset;
    private long splits;

    /**
     * The process-wide generator that layers use when none is given (torch's default generator).
     * Always the same instance; {@link #manualSeed(long)} rewinds it in place, so a reference held
     * across a reseed follows the new stream.
     */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    /**
     * Restarts {@link #defaultGenerator()} at the beginning of {@code seed}'s stream (offset 0, no
     * splits), like {@code torch.manual_seed(seed)}: it is then identical to {@code new Generator(seed)}.
     */
    public static void manualSeed(long seed) {
        synchronized (DEFAULT) { // publishes the new state to threads that draw next
            DEFAULT.restore(new State(seed, 0, 0));
        }
    }

    /** A generator at the start of the stream of {@code seed}. */
    public Generator(long seed) {
        this.seed = seed;
    }

    /** The seed (Philox key) of this stream. */
    public long seed() {
        return seed;
    }

    /** Number of 128-bit blocks consumed so far: the position of the next draw. */
    public long offset() {
        return offset;
    }

    /**
     * Moves to block {@code offset} of this stream (forwards or back).
     *
     * @throws IllegalArgumentException if {@code offset < 0}
     */
    public void setOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("Generator.setOffset: offset must be >= 0, got " + offset);
        }
        this.offset = offset;
    }

    /** A snapshot of this generator for checkpoints. */
    public State state() {
        return new State(seed, offset, splits);
    }

    /** Makes this generator exactly the one {@code state} was taken from. */
    public void restore(State state) {
        Objects.requireNonNull(state, "Generator.restore: state");
        this.seed = state.seed();
        this.offset = state.offset();
        this.splits = state.splits();
    }

    /**
     * Returns the next child stream: its seed depends only on this seed and the number of splits
     * so far, which this call increments. This generator's offset is unchanged.
     */
    public Generator split() {
        int[] out = new int[4];
        philox((int) splits, (int) (splits >>> 32), SPLIT_TAG, 0, (int) seed, (int) (seed >>> 32), out);
        splits++;
        return new Generator(join(out[0], out[1]));
    }

    // ---- scalars: one block each ----

    /** A uniformly distributed long (all 2^64 values equally likely). */
    public long nextLong() {
        int[] x = nextBlock();
        return join(x[0], x[1]);
    }

    /** A float uniform on {@code [0, 1)}, a multiple of 2^-24. */
    public float nextFloat() {
        return unitFloat(nextBlock()[0]);
    }

    /** A double uniform on {@code [0, 1)}, a multiple of 2^-53. */
    public double nextDouble() {
        int[] x = nextBlock();
        return (join(x[0], x[1]) >>> 11) * 0x1p-53;
    }

    private int[] nextBlock() {
        int[] out = new int[4];
        long block = reserve(1);
        philox((int) block, (int) (block >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out);
        return out;
    }

    // ---- fills ----

    /**
     * Fills {@code dst[off..off+n)} with floats uniform on {@code [low, high)}. Each is
     * {@code low + (high - low)·u} computed in double from a 24-bit {@code u} and rounded to float;
     * a result that rounds up to {@code high} is replaced by the float just below it, so
     * {@code high} never occurs. Uses {@code ceil(n/4)} blocks.
     *
     * @throws IllegalArgumentException if {@code n < 0}, {@code low}/{@code high} are not finite or
     *     {@code low >= high}
     * @throws IndexOutOfBoundsException if the range does not fit {@code dst}
     */
    public void fillUniform(float[] dst, int off, int n, float low, float high) {
        checkRange("fillUniform", dst == null ? -1 : dst.length, off, n);
        if (!Float.isFinite(low) || !Float.isFinite(high) || !(low < high)) {
            throw new IllegalArgumentException(
                    "fillUniform: need finite low < high, got low=" + low + ", high=" + high);
        }
        int blocks = blocksFor4(n);
        long base = reserve(blocks);
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        double lo = low;
        double width = (double) high - low;
        float below = Math.nextDown(high);
        CpuParallel.forRange(blocks, GRAIN_BLOCKS, (start, end) -> {
            int[] x = new int[4];
            for (int b = start; b < end; b++) {
                long c = base + b;
                philox((int) c, (int) (c >>> 32), 0, 0, k0, k1, x);
                int j0 = 4 * b;
                int m = Math.min(4, n - j0);
                for (int j = 0; j < m; j++) {
                    float v = (float) (lo + width * unitFloat(x[j]));
                    dst[off + j0 + j] = v < high ? v : below;
                }
            }
        });
    }

    /**
     * Fills {@code dst[off..off+n)} with normal samples of the given mean and standard deviation,
     * by Box–Muller on pairs of 32-bit words ({@code u1} on {@code (0, 1)}, never 0, so samples are
     * bounded by about 6.8 standard deviations). Uses {@code ceil(n/4)} blocks.
     *
     * @throws IllegalArgumentException if {@code n < 0}, {@code mean} is not finite, or {@code std}
     *     is negative or not finite
     * @throws IndexOutOfBoundsException if the range does not fit {@code dst}
     */
    public void fillNormal(float[] dst, int off, int n, float mean, float std) {
        checkRange("fillNormal", dst == null ? -1 : dst.length, off, n);
        if (!Float.isFinite(mean) || !Float.isFinite(std) || std < 0) {
            throw new IllegalArgumentException(
                    "fillNormal: need finite mean and finite std >= 0, got mean=" + mean + ", std=" + std);
        }
        int blocks = blocksFor4(n);
        long base = reserve(blocks);
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        CpuParallel.forRange(blocks, GRAIN_NORMAL_BLOCKS, (start, end) -> {
            int[] x = new int[4];
            for (int b = start; b < end; b++) {
                long c = base + b;
                philox((int) c, (int) (c >>> 32), 0, 0, k0, k1, x);
                int j0 = 4 * b;
                int m = Math.min(4, n - j0);
                for (int pair = 0; pair < m; pair += 2) {
                    double u1 = ((x[pair] & 0xffff_ffffL) + 0.5) * 0x1p-32;
                    double theta = (x[pair + 1] & 0xffff_ffffL) * (0x1p-32 * 2 * Math.PI);
                    double r = StrictMath.sqrt(-2 * StrictMath.log(u1));
                    dst[off + j0 + pair] = (float) (mean + std * (r * StrictMath.cos(theta)));
                    if (pair + 1 < m) {
                        dst[off + j0 + pair + 1] = (float) (mean + std * (r * StrictMath.sin(theta)));
                    }
                }
            }
        });
    }

    /**
     * Fills {@code dst[off..off+n)} with integers uniform on {@code [low, highExclusive)}; any range
     * up to {@code 2^64 - 1} wide works. Each element takes one whole block {@code X} (128 bits) and
     * returns {@code low + floor(X·range / 2^128)}: every value is hit by {@code floor} or
     * {@code ceil} of {@code 2^128/range} of the {@code 2^128} inputs, so the relative bias is below
     * {@code range/2^128 <= 2^-64}, unmeasurable. A fixed cost per element, unlike rejection, keeps
     * every value tied to its index. Uses {@code n} blocks.
     *
     * @throws IllegalArgumentException if {@code n < 0} or {@code low >= highExclusive}
     * @throws IndexOutOfBoundsException if the range does not fit {@code dst}
     */
    public void fillRandInt(long[] dst, int off, int n, long low, long highExclusive) {
        checkRange("fillRandInt", dst == null ? -1 : dst.length, off, n);
        if (low >= highExclusive) {
            throw new IllegalArgumentException(
                    "fillRandInt: need low < highExclusive, got low=" + low + ", highExclusive=" + highExclusive);
        }
        long range = highExclusive - low; // as unsigned: 1 .. 2^64 - 1
        long base = reserve(n);
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        CpuParallel.forRange(n, GRAIN_BLOCKS, (start, end) -> {
            int[] x = new int[4];
            for (int j = start; j < end; j++) {
                long c = base + j;
                philox((int) c, (int) (c >>> 32), 0, 0, k0, k1, x);
                dst[off + j] = low + scaleHigh(join(x[2], x[3]), join(x[0], x[1]), range);
            }
        });
    }

    /** {@code floor((hi·2^64 + lo) · range / 2^128)}, all unsigned: the top 64 of 192 product bits. */
    static long scaleHigh(long hi, long lo, long range) {
        long hiLow = hi * range;
        long hiHigh = Math.unsignedMultiplyHigh(hi, range);
        long loHigh = Math.unsignedMultiplyHigh(lo, range);
        long sum = hiLow + loHigh;
        long carry = Long.compareUnsigned(sum, hiLow) < 0 ? 1 : 0;
        return hiHigh + carry;
    }

    // ---- helpers ----

    private static void checkRange(String op, int length, int off, int n) {
        if (length < 0) {
            throw new NullPointerException(op + ": dst is null");
        }
        if (n < 0) {
            throw new IllegalArgumentException(op + ": n must be >= 0, got " + n);
        }
        if (off < 0 || off > length - n) {
            throw new IndexOutOfBoundsException(op + ": range [" + off + ", " + ((long) off + n)
                    + ") does not fit an array of length " + length);
        }
    }

    private static int blocksFor4(int n) {
        return (int) (((long) n + 3) >>> 2);
    }

    /** Takes {@code blocks} blocks starting at the current offset; returns the first. */
    private long reserve(long blocks) {
        long base = offset;
        if (base > Long.MAX_VALUE - blocks) {
            throw new IllegalStateException("Generator: stream of seed " + seed + " exhausted at offset " + base);
        }
        offset = base + blocks;
        return base;
    }

    private static float unitFloat(int word) {
        return (word >>> 8) * 0x1p-24f;
    }

    private static long join(int low, int high) {
        return ((long) high << 32) | (low & 0xffff_ffffL);
    }

    /**
     * Philox4x32-10: ten rounds of two 32x32→64 multiplies and a Feistel-like xor/swap, the key
     * bumped by the Weyl constants between rounds. Writes the 4 output words to {@code out}.
     */
    static void philox(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = M0 * (c0 & 0xffff_ffffL);
            long p1 = M1 * (c2 & 0xffff_ffffL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
