package dev.kiln.tensor.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused scaled-dot-product attention, F32, after FlashAttention-2: {@code O = softmax(Q K^T * scale
 * + mask) V} computed one (query block × key block) tile at a time with an online softmax, so the
 * Tq × Tk score matrix never exists; memory beyond inputs and outputs is a few 64 × 64 tiles per
 * thread plus O(B·H·Tq) row statistics.
 *
 * <pre>
 * q, o, dO, dQ: [B, H, Tq, D]    k, v, dK, dV: [B, Hkv, Tk, D]    lse: [B, H, Tq]
 * keyPad: [B, Tk] bytes, nonzero = the key is ignored (null: no padding mask)
 * </pre>
 *
 * All arrays are contiguous row-major from their offset. Query head h reads kv head
 * {@code h / (H / Hkv)} (grouped-query attention). Causal masking aligns the diagonal to the end
 * (torch / FlashAttention for Tq != Tk): query i sees keys {@code j <= i + (Tk - Tq)}.
 *
 * <p>A row whose keys are all masked has output 0 and {@code lse = -inf} (the log of an empty
 * sum), and it contributes 0 to every gradient (torch's math path would give NaN instead).
 *
 * <p>Backward recomputes each probability tile {@code P = exp(S - lse)} from Q, K and lse. dK and dV
 * of a key block are owned by one task (no races). dQ needs a sum over key blocks: when there are
 * enough (batch, kv head) pairs to keep every thread busy, one task owns all key blocks of a pair
 * and adds to dQ directly (the FlashAttention-2 loop order); otherwise a second pass parallel over
 * query blocks recomputes the tiles and accumulates dQ (7 tile products instead of 5, but every
 * thread works). Both schedules add the same terms in the same order, so the result is bitwise the
 * same at any thread count.
 */
public final class FlashAttentionKernels {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;
    private static final int LANES = S.length();
    /**
     * Query and key block sizes. 64 × 64 keeps the per-thread tiles (K^T, V^T, S, dP, P^T: 16 KiB
     * each at D = 64) inside a 1 MiB L2 with Q/K/V rows streaming past.
     */
    static final int BLOCK_Q = 64;
    static final int BLOCK_K = 64;
    /** Multiply-adds below which a chunk of tiles is not worth a hand-off to another thread. */
    private static final long GRAIN_FLOPS = 1L << 18;

    private FlashAttentionKernels() {}

    /**
     * Problem geometry. {@code scale} multiplies Q·K^T; {@code keyPad} (with {@code keyPadOffset})
     * is the [B, Tk] key-padding mask or null.
     */
    public record Geometry(int batch, int heads, int kvHeads, int tq, int tk, int dim, boolean causal, float scale,
                           byte[] keyPad, int keyPadOffset) {
        int group() {
            return heads / kvHeads;
        }

        int queryBlocks() {
            return (tq + BLOCK_Q - 1) / BLOCK_Q;
        }

        int keyBlocks() {
            return (tk + BLOCK_K - 1) / BLOCK_K;
        }

        /** Keys below this index may be seen by queries [0, rowEnd) (causal: the diagonal aligned to the end). */
        int keyEnd(int rowEnd) {
            return causal ? Math.max(0, Math.min(tk, rowEnd + tk - tq)) : tk;
        }

        /** First query that sees key j. */
        int firstQuery(int j) {
            return causal ? Math.max(0, j - (tk - tq)) : 0;
        }
    }

    /** A contiguous F32 region: element 0 of the tensor is {@code data[offset]}. */
    public record Slab(float[] data, int offset) {}

    /** Per-thread scratch; each tile is row-major with the leading dimension noted. */
    private static final class Tiles {
        final float[] kt;    // [D, BLOCK_K]: K block transposed (zero past the block's keys)
        final float[] vt;    // [D, BLOCK_K]: V block transposed (backward only)
        final float[] s;     // [BLOCK_Q, BLOCK_K]: scores, then probabilities
        final float[] dp;    // [BLOCK_Q, BLOCK_K]: dP, then dS (backward only)
        final float[] pt;    // [BLOCK_K, BLOCK_Q]: P^T or dS^T (backward only)
        final float[] bias = new float[BLOCK_K]; // 0 for a visible key, -inf for padding and past the block
        final float[] rowMax = new float[BLOCK_Q];
        final float[] rowSum = new float[BLOCK_Q];
        final float[] lanes = new float[LANES];

        Tiles(int dim, boolean backward) {
            kt = new float[dim * BLOCK_K];
            s = new float[BLOCK_Q * BLOCK_K];
            vt = backward ? new float[dim * BLOCK_K] : null;
            dp = backward ? new float[BLOCK_Q * BLOCK_K] : null;
            pt = backward ? new float[BLOCK_K * BLOCK_Q] : null;
        }
    }

    // ------------------------------------------------------------------------------------ forward

    /** Writes o [B, H, Tq, D] and lse [B, H, Tq]. */
    public static void forward(Geometry g, Slab q, Slab k, Slab v, Slab o, Slab lse) {
        int items = g.batch() * g.heads() * g.queryBlocks();
        long work = 2L * BLOCK_Q * g.tk() * g.dim();
        forEachItem(items, work, () -> new Tiles(g.dim(), false), (t, item) -> forwardBlock(g, q, k, v, o, lse, t, item));
    }

    private static void forwardBlock(Geometry g, Slab q, Slab k, Slab v, Slab o, Slab lse, Tiles t, int item) {
        int dim = g.dim();
        int qb = item % g.queryBlocks();
        int bh = item / g.queryBlocks();
        int b = bh / g.heads();
        int kvRow = (b * g.kvHeads() + (bh % g.heads()) / g.group()) * g.tk();
        int i0 = qb * BLOCK_Q;
        int m = Math.min(BLOCK_Q, g.tq() - i0);
        int qBase = q.offset() + (bh * g.tq() + i0) * dim;
        int oBase = o.offset() + (bh * g.tq() + i0) * dim;
        float[] out = o.data();
        Arrays.fill(out, oBase, oBase + m * dim, 0f);
        Arrays.fill(t.rowMax, Float.NEGATIVE_INFINITY);
        Arrays.fill(t.rowSum, 0f);
        int kEnd = g.keyEnd(i0 + m);
        for (int j0 = 0; j0 < kEnd; j0 += BLOCK_K) {
            int n = Math.min(BLOCK_K, kEnd - j0);
            int nPad = roundUp(n);
            transposeBlock(k.data(), k.offset() + (kvRow + j0) * dim, n, nPad, dim, t.kt);
            keyBias(g, b, j0, n, nPad, t.bias);
            gemmABt(q.data(), qBase, dim, m, dim, t.kt, BLOCK_K, nPad, t.s, BLOCK_K);
            for (int r = 0; r < m; r++) {
                int row = r * BLOCK_K;
                int visible = g.causal() ? i0 + r + g.tk() - g.tq() - j0 + 1 : nPad;
                if (visible <= 0) {
                    Arrays.fill(t.s, row, row + nPad, 0f);
                    continue;
                }
                float blockMax = scaleBiasMax(t.s, row, nPad, g.scale(), t.bias, visible);
                float mOld = t.rowMax[r];
                float mNew = Math.max(mOld, blockMax);
                if (mNew == Float.NEGATIVE_INFINITY) { // nothing visible yet in this row
                    Arrays.fill(t.s, row, row + nPad, 0f);
                    continue;
                }
                float sum = expShiftSum(t.s, row, nPad, mNew, t.lanes);
                float alpha = (float) Math.exp(mOld - mNew); // 0 when the row had nothing before
                t.rowSum[r] = t.rowSum[r] * alpha + sum;
                t.rowMax[r] = mNew;
                if (alpha != 1f) {
                    scaleRow(out, oBase + r * dim, dim, alpha);
                }
            }
            gemmAccumulate(t.s, 0, BLOCK_K, m, n, v.data(), v.offset() + (kvRow + j0) * dim, dim, dim, out, oBase, dim);
        }
        int lseBase = lse.offset() + bh * g.tq() + i0;
        for (int r = 0; r < m; r++) {
            float l = t.rowSum[r];
            if (l > 0f) {
                scaleRow(out, oBase + r * dim, dim, 1f / l);
                lse.data()[lseBase + r] = (float) (t.rowMax[r] + Math.log(l));
            } else { // every key masked: output stays 0
                lse.data()[lseBase + r] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    // ----------------------------------------------------------------------------------- backward

    /**
     * Writes dQ [B, H, Tq, D], dK and dV [B, Hkv, Tk, D] (dK, dV summed over the query heads that
     * share a kv head) from the forward's inputs, its output o and its lse, and dO.
     */
    public static void backward(Geometry g, Slab q, Slab k, Slab v, Slab o, Slab lse, Slab dO,
                                Slab dQ, Slab dK, Slab dV) {
        int dim = g.dim();
        int rows = g.batch() * g.heads() * g.tq();
        // delta_i = rowsum(dO_i * O_i) = rowsum(P_i * dP_i): the softmax backward's per-row term.
        float[] delta = new float[rows];
        CpuParallel.forRange(rows, Math.max(1, (1 << 15) / Math.max(1, dim)), (r0, r1) -> {
            float[] lanes = new float[LANES];
            for (int r = r0; r < r1; r++) {
                delta[r] = dot(dO.data(), dO.offset() + r * dim, o.data(), o.offset() + r * dim, dim, lanes);
            }
        });
        Arrays.fill(dQ.data(), dQ.offset(), dQ.offset() + rows * dim, 0f);
        int pairs = g.batch() * g.kvHeads();
        int keyBlocks = g.keyBlocks();
        long workPerKeyBlock = 4L * g.group() * g.tq() * BLOCK_K * dim;
        int chunks = CpuParallel.chunksFor(pairs * keyBlocks, (int) Math.max(1, GRAIN_FLOPS / Math.max(1, workPerKeyBlock)));
        boolean ownDq = pairs % chunks == 0 || pairs >= 4 * chunks;
        if (ownDq) {
            forEachItem(pairs, workPerKeyBlock * keyBlocks, () -> new Tiles(dim, true), (t, pair) -> {
                for (int kb = 0; kb < keyBlocks; kb++) {
                    keyBlockGrads(g, q, k, v, lse, dO, delta, dQ, dK, dV, t, pair * keyBlocks + kb, true);
                }
            });
            return;
        }
        forEachItem(pairs * keyBlocks, workPerKeyBlock, () -> new Tiles(dim, true),
                (t, item) -> keyBlockGrads(g, q, k, v, lse, dO, delta, dQ, dK, dV, t, item, false));
        forEachItem(g.batch() * g.heads() * g.queryBlocks(), 3L * BLOCK_Q * g.tk() * dim, () -> new Tiles(dim, true),
                (t, item) -> queryBlockGrads(g, q, k, v, lse, dO, delta, dQ, t, item));
    }

    /** dK and dV of one key block (item = pair * keyBlocks + kb), and dQ's share of it when {@code withDq}. */
    private static void keyBlockGrads(Geometry g, Slab q, Slab k, Slab v, Slab lse, Slab dO, float[] delta,
                                      Slab dQ, Slab dK, Slab dV, Tiles t, int item, boolean withDq) {
        int dim = g.dim();
        int kb = item % g.keyBlocks();
        int pair = item / g.keyBlocks();
        int b = pair / g.kvHeads();
        int kvh = pair % g.kvHeads();
        int j0 = kb * BLOCK_K;
        int n = Math.min(BLOCK_K, g.tk() - j0);
        int nPad = roundUp(n);
        int kvRow = pair * g.tk() + j0;
        int dkBase = dK.offset() + kvRow * dim;
        int dvBase = dV.offset() + kvRow * dim;
        Arrays.fill(dK.data(), dkBase, dkBase + n * dim, 0f);
        Arrays.fill(dV.data(), dvBase, dvBase + n * dim, 0f);
        transposeBlock(k.data(), k.offset() + kvRow * dim, n, nPad, dim, t.kt);
        transposeBlock(v.data(), v.offset() + kvRow * dim, n, nPad, dim, t.vt);
        keyBias(g, b, j0, n, nPad, t.bias);
        int firstBlock = g.firstQuery(j0) / BLOCK_Q;
        for (int h = kvh * g.group(); h < (kvh + 1) * g.group(); h++) {
            int bh = b * g.heads() + h;
            for (int qb = firstBlock; qb < g.queryBlocks(); qb++) {
                int i0 = qb * BLOCK_Q;
                int m = Math.min(BLOCK_Q, g.tq() - i0);
                int rowBase = (bh * g.tq() + i0) * dim;
                tileGradients(g, q, lse, dO, delta, t, bh, i0, m, j0, n, nPad);
                // dV += P^T dO, dK += dS^T Q (dS already carries the scale)
                transposeTile(t.s, m, n, t.pt);
                gemmAccumulate(t.pt, 0, BLOCK_Q, n, m, dO.data(), dO.offset() + rowBase, dim, dim, dV.data(), dvBase, dim);
                transposeTile(t.dp, m, n, t.pt);
                gemmAccumulate(t.pt, 0, BLOCK_Q, n, m, q.data(), q.offset() + rowBase, dim, dim, dK.data(), dkBase, dim);
                if (withDq) { // dQ += dS K
                    gemmAccumulate(t.dp, 0, BLOCK_K, m, n, k.data(), k.offset() + kvRow * dim, dim, dim,
                            dQ.data(), dQ.offset() + rowBase, dim);
                }
            }
        }
    }

    /** dQ of one query block, summed over key blocks in ascending order (as {@link #keyBlockGrads} does). */
    private static void queryBlockGrads(Geometry g, Slab q, Slab k, Slab v, Slab lse, Slab dO, float[] delta,
                                        Slab dQ, Tiles t, int item) {
        int dim = g.dim();
        int qb = item % g.queryBlocks();
        int bh = item / g.queryBlocks();
        int b = bh / g.heads();
        int pair = b * g.kvHeads() + (bh % g.heads()) / g.group();
        int i0 = qb * BLOCK_Q;
        int m = Math.min(BLOCK_Q, g.tq() - i0);
        int rowBase = (bh * g.tq() + i0) * dim;
        int kEnd = g.keyEnd(i0 + m);
        for (int j0 = 0; j0 < kEnd; j0 += BLOCK_K) {
            // the full key block, as keyBlockGrads sees it, so the tiles match bit for bit
            int n = Math.min(BLOCK_K, g.tk() - j0);
            int nPad = roundUp(n);
            int kvRow = pair * g.tk() + j0;
            transposeBlock(k.data(), k.offset() + kvRow * dim, n, nPad, dim, t.kt);
            transposeBlock(v.data(), v.offset() + kvRow * dim, n, nPad, dim, t.vt);
            keyBias(g, b, j0, n, nPad, t.bias);
            tileGradients(g, q, lse, dO, delta, t, bh, i0, m, j0, n, nPad);
            gemmAccumulate(t.dp, 0, BLOCK_K, m, n, k.data(), k.offset() + kvRow * dim, dim, dim,
                    dQ.data(), dQ.offset() + rowBase, dim);
        }
    }

    /**
     * For query rows [i0, i0+m) of head bh against the key block in t.kt / t.vt: t.s = P (0 where
     * masked) and t.dp = dS * scale = P * (dO V^T - delta) * scale.
     */
    private static void tileGradients(Geometry g, Slab q, Slab lse, Slab dO, float[] delta, Tiles t,
                                      int bh, int i0, int m, int j0, int n, int nPad) {
        int dim = g.dim();
        int rowBase = (bh * g.tq() + i0) * dim;
        gemmABt(q.data(), q.offset() + rowBase, dim, m, dim, t.kt, BLOCK_K, nPad, t.s, BLOCK_K);
        gemmABt(dO.data(), dO.offset() + rowBase, dim, m, dim, t.vt, BLOCK_K, nPad, t.dp, BLOCK_K);
        FloatVector scale = FloatVector.broadcast(S, g.scale());
        for (int r = 0; r < m; r++) {
            int row = r * BLOCK_K;
            float rowLse = lse.data()[lse.offset() + bh * g.tq() + i0 + r];
            int visible = g.causal() ? i0 + r + g.tk() - g.tq() - j0 + 1 : nPad;
            if (visible <= 0 || rowLse == Float.NEGATIVE_INFINITY) {
                Arrays.fill(t.s, row, row + nPad, 0f);
                Arrays.fill(t.dp, row, row + nPad, 0f);
                continue;
            }
            scaleBiasMax(t.s, row, nPad, g.scale(), t.bias, visible);
            expShiftSum(t.s, row, nPad, rowLse, t.lanes);
            FloatVector d = FloatVector.broadcast(S, delta[bh * g.tq() + i0 + r]);
            for (int c = 0; c < nPad; c += LANES) {
                FloatVector p = FloatVector.fromArray(S, t.s, row + c);
                FloatVector dp = FloatVector.fromArray(S, t.dp, row + c);
                p.mul(dp.sub(d)).mul(scale).intoArray(t.dp, row + c);
            }
        }
    }

    // ------------------------------------------------------------------------------ tile kernels

    /**
     * c[i, 0..nPad) = Σ_d a[aOff + i*lda + d] · bt[d*ldb + 0..nPad) for i < m, with nPad a
     * multiple of the vector length. Four rows share each bt load; the d loop runs in registers.
     */
    static void gemmABt(float[] a, int aOff, int lda, int m, int depth, float[] bt, int ldb, int nPad,
                        float[] c, int ldc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int a0 = aOff + i * lda;
            int a1 = a0 + lda;
            int a2 = a1 + lda;
            int a3 = a2 + lda;
            int col = 0;
            for (; col + 2 * LANES <= nPad; col += 2 * LANES) {
                FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
                FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
                FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
                FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
                for (int d = 0; d < depth; d++) {
                    FloatVector b0 = FloatVector.fromArray(S, bt, d * ldb + col);
                    FloatVector b1 = FloatVector.fromArray(S, bt, d * ldb + col + LANES);
                    FloatVector x0 = FloatVector.broadcast(S, a[a0 + d]);
                    FloatVector x1 = FloatVector.broadcast(S, a[a1 + d]);
                    FloatVector x2 = FloatVector.broadcast(S, a[a2 + d]);
                    FloatVector x3 = FloatVector.broadcast(S, a[a3 + d]);
                    c00 = x0.fma(b0, c00);
                    c01 = x0.fma(b1, c01);
                    c10 = x1.fma(b0, c10);
                    c11 = x1.fma(b1, c11);
                    c20 = x2.fma(b0, c20);
                    c21 = x2.fma(b1, c21);
                    c30 = x3.fma(b0, c30);
                    c31 = x3.fma(b1, c31);
                }
                int o = i * ldc + col;
                c00.intoArray(c, o);
                c01.intoArray(c, o + LANES);
                c10.intoArray(c, o + ldc);
                c11.intoArray(c, o + ldc + LANES);
                c20.intoArray(c, o + 2 * ldc);
                c21.intoArray(c, o + 2 * ldc + LANES);
                c30.intoArray(c, o + 3 * ldc);
                c31.intoArray(c, o + 3 * ldc + LANES);
            }
            for (; col < nPad; col += LANES) {
                FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
                FloatVector c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
                for (int d = 0; d < depth; d++) {
                    FloatVector b0 = FloatVector.fromArray(S, bt, d * ldb + col);
                    c0 = FloatVector.broadcast(S, a[a0 + d]).fma(b0, c0);
                    c1 = FloatVector.broadcast(S, a[a1 + d]).fma(b0, c1);
                    c2 = FloatVector.broadcast(S, a[a2 + d]).fma(b0, c2);
                    c3 = FloatVector.broadcast(S, a[a3 + d]).fma(b0, c3);
                }
                int o = i * ldc + col;
                c0.intoArray(c, o);
                c1.intoArray(c, o + ldc);
                c2.intoArray(c, o + 2 * ldc);
                c3.intoArray(c, o + 3 * ldc);
            }
        }
        for (; i < m; i++) {
            int a0 = aOff + i * lda;
            for (int col = 0; col < nPad; col += LANES) {
                FloatVector c0 = FloatVector.zero(S);
                for (int d = 0; d < depth; d++) {
                    c0 = FloatVector.broadcast(S, a[a0 + d]).fma(FloatVector.fromArray(S, bt, d * ldb + col), c0);
                }
                c0.intoArray(c, i * ldc + col);
            }
        }
    }

    /**
     * c[cOff + i*ldc + 0..width) += Σ_{j<n} p[pOff + i*ldp + j] · x[xOff + j*ldx + 0..width) for
     * i < m. Any width: the last partial vector is masked, so c and x need no padding.
     */
    static void gemmAccumulate(float[] p, int pOff, int ldp, int m, int n, float[] x, int xOff, int ldx, int width,
                               float[] c, int cOff, int ldc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int p0 = pOff + i * ldp;
            int c0 = cOff + i * ldc;
            int col = 0;
            for (; col + 2 * LANES <= width; col += 2 * LANES) { // 4 x 2 vectors: 8 FMAs per 2 loads + 4 broadcasts
                int o = c0 + col;
                FloatVector r00 = FloatVector.fromArray(S, c, o), r01 = FloatVector.fromArray(S, c, o + LANES);
                FloatVector r10 = FloatVector.fromArray(S, c, o + ldc), r11 = FloatVector.fromArray(S, c, o + ldc + LANES);
                FloatVector r20 = FloatVector.fromArray(S, c, o + 2 * ldc);
                FloatVector r21 = FloatVector.fromArray(S, c, o + 2 * ldc + LANES);
                FloatVector r30 = FloatVector.fromArray(S, c, o + 3 * ldc);
                FloatVector r31 = FloatVector.fromArray(S, c, o + 3 * ldc + LANES);
                for (int j = 0; j < n; j++) {
                    int xo = xOff + j * ldx + col;
                    FloatVector x0 = FloatVector.fromArray(S, x, xo);
                    FloatVector x1 = FloatVector.fromArray(S, x, xo + LANES);
                    FloatVector b0 = FloatVector.broadcast(S, p[p0 + j]);
                    FloatVector b1 = FloatVector.broadcast(S, p[p0 + ldp + j]);
                    FloatVector b2 = FloatVector.broadcast(S, p[p0 + 2 * ldp + j]);
                    FloatVector b3 = FloatVector.broadcast(S, p[p0 + 3 * ldp + j]);
                    r00 = b0.fma(x0, r00);
                    r01 = b0.fma(x1, r01);
                    r10 = b1.fma(x0, r10);
                    r11 = b1.fma(x1, r11);
                    r20 = b2.fma(x0, r20);
                    r21 = b2.fma(x1, r21);
                    r30 = b3.fma(x0, r30);
                    r31 = b3.fma(x1, r31);
                }
                r00.intoArray(c, o);
                r01.intoArray(c, o + LANES);
                r10.intoArray(c, o + ldc);
                r11.intoArray(c, o + ldc + LANES);
                r20.intoArray(c, o + 2 * ldc);
                r21.intoArray(c, o + 2 * ldc + LANES);
                r30.intoArray(c, o + 3 * ldc);
                r31.intoArray(c, o + 3 * ldc + LANES);
            }
            for (; col < width; col += LANES) {
                VectorMask<Float> mask = S.indexInRange(col, width);
                FloatVector r0 = FloatVector.fromArray(S, c, c0 + col, mask);
                FloatVector r1 = FloatVector.fromArray(S, c, c0 + ldc + col, mask);
                FloatVector r2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + col, mask);
                FloatVector r3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + col, mask);
                for (int j = 0; j < n; j++) {
                    FloatVector xv = FloatVector.fromArray(S, x, xOff + j * ldx + col, mask);
                    r0 = FloatVector.broadcast(S, p[p0 + j]).fma(xv, r0);
                    r1 = FloatVector.broadcast(S, p[p0 + ldp + j]).fma(xv, r1);
                    r2 = FloatVector.broadcast(S, p[p0 + 2 * ldp + j]).fma(xv, r2);
                    r3 = FloatVector.broadcast(S, p[p0 + 3 * ldp + j]).fma(xv, r3);
                }
                r0.intoArray(c, c0 + col, mask);
                r1.intoArray(c, c0 + ldc + col, mask);
                r2.intoArray(c, c0 + 2 * ldc + col, mask);
                r3.intoArray(c, c0 + 3 * ldc + col, mask);
            }
        }
        for (; i < m; i++) {
            int p0 = pOff + i * ldp;
            int c0 = cOff + i * ldc;
            for (int col = 0; col < width; col += LANES) {
                VectorMask<Float> mask = S.indexInRange(col, width);
                FloatVector r0 = FloatVector.fromArray(S, c, c0 + col, mask);
                for (int j = 0; j < n; j++) {
                    r0 = FloatVector.broadcast(S, p[p0 + j]).fma(FloatVector.fromArray(S, x, xOff + j * ldx + col, mask), r0);
                }
                r0.intoArray(c, c0 + col, mask);
            }
        }
    }

    // ------------------------------------------------------------------------------- row helpers

    /**
     * s = s*scale + bias over [off, off+nPad), then -inf from column {@code visible} on (causal);
     * returns the row maximum.
     */
    private static float scaleBiasMax(float[] s, int off, int nPad, float scale, float[] bias, int visible) {
        FloatVector sc = FloatVector.broadcast(S, scale);
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < nPad; c += LANES) {
            FloatVector x = FloatVector.fromArray(S, s, off + c).fma(sc, FloatVector.fromArray(S, bias, c));
            x.intoArray(s, off + c);
            max = max.max(x);
        }
        if (visible < nPad) {
            Arrays.fill(s, off + visible, off + nPad, Float.NEGATIVE_INFINITY);
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < visible; c++) {
                m = Math.max(m, s[off + c]);
            }
            return m;
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** s = exp(s - shift) over [off, off+nPad); returns the sum. */
    private static float expShiftSum(float[] s, int off, int nPad, float shift, float[] lanes) {
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector sum = FloatVector.zero(S);
        for (int c = 0; c < nPad; c += LANES) {
            FloatVector e = exp(FloatVector.fromArray(S, s, off + c).sub(sh));
            e.intoArray(s, off + c);
            sum = sum.add(e);
        }
        return VectorMath.sum(sum, lanes);
    }

    private static void scaleRow(float[] x, int off, int n, float factor) {
        FloatVector f = FloatVector.broadcast(S, factor);
        for (int c = 0; c < n; c += LANES) {
            VectorMask<Float> mask = S.indexInRange(c, n);
            FloatVector.fromArray(S, x, off + c, mask).mul(f).intoArray(x, off + c, mask);
        }
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int c = 0; c < n; c += LANES) {
            VectorMask<Float> mask = S.indexInRange(c, n);
            acc = FloatVector.fromArray(S, a, aOff + c, mask).fma(FloatVector.fromArray(S, b, bOff + c, mask), acc);
        }
        return VectorMath.sum(acc, lanes);
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split so that n * LN2_HI is exact for |n| < 2^14 (Cody–Waite range reduction). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** exp below this is subnormal; it is flushed to 0 (-inf lands here too). */
    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.0f;

    /**
     * e^x to about 2 ulp, from basic IEEE operations only. The Vector API's EXP is an SVML
     * intrinsic under C2 but Math.exp per lane in the interpreter, so it can differ in the last bit
     * depending on which tier runs; this one gives the same bits everywhere, which keeps the
     * kernel's results reproducible run to run.
     *
     * <p>e^x = 2^n · e^r with n = round(x / ln 2) and |r| <= ln2 / 2, where e^r is its Taylor
     * polynomial to degree 7 (truncation error below 1e-8 relative).
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = xc.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1f / 5040f);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = t.reinterpretAsInts().sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        FloatVector twoToN = bits.reinterpretAsFloats();
        return p.mul(twoToN).blend(0f, x.lt(EXP_MIN));
    }

    /** out[d*BLOCK_K + c] = x[base + c*dim + d] for c < n; columns [n, nPad) are zero. */
    private static void transposeBlock(float[] x, int base, int n, int nPad, int dim, float[] out) {
        for (int c = 0; c < n; c++) {
            int src = base + c * dim;
            for (int d = 0; d < dim; d++) {
                out[d * BLOCK_K + c] = x[src + d];
            }
        }
        if (nPad > n) {
            for (int d = 0; d < dim; d++) {
                Arrays.fill(out, d * BLOCK_K + n, d * BLOCK_K + nPad, 0f);
            }
        }
    }

    /** out[c*BLOCK_Q + r] = tile[r*BLOCK_K + c] for r < m, c < n. */
    private static void transposeTile(float[] tile, int m, int n, float[] out) {
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                out[c * BLOCK_Q + r] = tile[r * BLOCK_K + c];
            }
        }
    }

    /** bias[c] = 0 for a visible key j0+c, -inf for a padded key or c >= n (up to nPad). */
    private static void keyBias(Geometry g, int b, int j0, int n, int nPad, float[] bias) {
        byte[] pad = g.keyPad();
        int base = g.keyPadOffset() + b * g.tk() + j0;
        for (int c = 0; c < n; c++) {
            bias[c] = pad != null && pad[base + c] != 0 ? Float.NEGATIVE_INFINITY : 0f;
        }
        Arrays.fill(bias, n, nPad, Float.NEGATIVE_INFINITY);
    }

    private static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    // ------------------------------------------------------------------------------- scheduling

    @FunctionalInterface
    private interface ItemBody {
        void run(Tiles tiles, int item);
    }

    /**
     * Runs body over items [0, items), one chunk per thread, each chunk with its own tiles. Items
     * are dealt round-robin rather than in contiguous ranges: under a causal mask later query
     * blocks cost more, and interleaving keeps the threads' shares even.
     */
    private static void forEachItem(int items, long workPerItem, java.util.function.Supplier<Tiles> tiles, ItemBody body) {
        int chunks = CpuParallel.chunksFor(items, (int) Math.max(1, GRAIN_FLOPS / Math.max(1, workPerItem)));
        CpuParallel.forRange(chunks, 1, (c0, c1) -> {
            Tiles t = tiles.get();
            for (int c = c0; c < c1; c++) {
                for (int item = c; item < items; item += chunks) {
                    body.run(t, item);
                }
            }
        });
    }
}
