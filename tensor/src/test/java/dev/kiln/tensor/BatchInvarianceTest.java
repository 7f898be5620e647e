package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.random.Generator;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Inside {@link BatchInvariance}, the first m rows of a product computed alone equal, to the bit,
 * the same rows of the product of all 64 rows: shapes that reach the naive (tiny), dot-product
 * (skinny) and packed GEMM paths, plain and transposed right operands (a Linear layer's x·Wᵀ).
 */
class BatchInvarianceTest {
    static final int ROWS = 64;
    static final int[][] SHAPES = {{1, 3}, {4, 4}, {10, 7}, {33, 17}, {128, 64}, {10, 600}, {96, 1100}}; // {n, k}

    @Test
    void rowsDoNotDependOnHowManyRowsShareTheProduct() {
        Generator g = new Generator(17);
        try (BatchInvariance _ = BatchInvariance.enter()) {
            assertTrue(BatchInvariance.isOn());
            for (int[] nk : SHAPES) {
                int n = nk[0];
                int k = nk[1];
                for (boolean transposed : new boolean[] {false, true}) {
                    try (Tensor a = Tensor.randn(g, ROWS, k); Tensor w = Tensor.randn(g, n, k)) {
                        Tensor b = transposed ? w.t() : w.t().contiguous(); // [k, n] either as a view of Wᵀ or packed
                        float[] all = a.matmul(b).toFloatArray();
                        for (int m : new int[] {1, 2, 3, 5, 7, 13, 40}) {
                            float[] some = a.narrow(0, 0, m).contiguous().matmul(b).toFloatArray();
                            assertArrayEquals(Arrays.copyOf(all, m * n), some, "n=" + n + " k=" + k + " m=" + m
                                    + (transposed ? " (x·Wᵀ view)" : ""));
                        }
                    }
                }
            }
        }
        assertFalse(BatchInvariance.isOn(), "closing the scope restores the default");
    }
}
