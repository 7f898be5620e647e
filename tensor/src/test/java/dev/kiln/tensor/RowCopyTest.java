package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Copies between views whose rows are contiguous but whose rows are not adjacent (cat and stack
 * into slices of their output, copyFrom into a narrowed view): the row-by-row path, checked
 * element by element against index arithmetic, in every dtype family.
 */
class RowCopyTest {
    /** Value of element (i, j, k) of a [A, B, C] tensor filled with arange. */
    private static double at(int i, int j, int k, int b, int c) {
        return (i * b + j) * c + k;
    }

    @Test
    void catAndStackOfNarrowedViewsMatchIndexArithmetic() {
        int a = 3, b = 5, c = 23;
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.F16, DType.I64, DType.I32}) {
            try (Tensor base = Tensor.arange(0, a * b * c, 1, dt).reshape(a, b, c);
                 Tensor left = base.narrow(2, 0, 11);   // rows of 11, row stride 23
                 Tensor right = base.narrow(2, 11, 12); // rows of 12, offset 11
                 Tensor joined = Tensor.cat(List.of(left, right), 2);
                 Tensor stacked = Tensor.stack(List.of(left.narrow(2, 0, 10), right.narrow(2, 2, 10)), 1)) {
                double[] got = joined.toDoubleArray();
                double[] want = new double[a * b * c];
                for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) for (int k = 0; k < c; k++) {
                    want[(i * b + j) * c + k] = at(i, j, k, b, c);
                }
                assertArrayEquals(want, got, 0, "cat " + dt);
                double[] s = stacked.toDoubleArray(); // [a, 2, b, 10]
                double[] ws = new double[a * 2 * b * 10];
                for (int i = 0; i < a; i++) for (int t = 0; t < 2; t++) for (int j = 0; j < b; j++) for (int k = 0; k < 10; k++) {
                    ws[((i * 2 + t) * b + j) * 10 + k] = at(i, j, t == 0 ? k : 13 + k, b, c);
                }
                assertArrayEquals(ws, s, 0, "stack " + dt);
            }
        }
    }

    @Test
    void copyIntoANarrowedViewLeavesTheRestAlone() {
        try (Tensor dst = Tensor.zeros(4, 30); Tensor src = Tensor.arange(0, 4 * 12, 1, DType.F32).reshape(4, 12);
             Tensor window = dst.narrow(1, 9, 12)) {
            window.copyFrom(src);
            double[] got = dst.toDoubleArray();
            for (int r = 0; r < 4; r++) {
                for (int col = 0; col < 30; col++) {
                    double want = col >= 9 && col < 21 ? r * 12 + (col - 9) : 0;
                    assertArrayEquals(new double[] {want}, new double[] {got[r * 30 + col]}, 0, "(" + r + ", " + col + ")");
                }
            }
        }
    }
}
