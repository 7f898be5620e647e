package dev.kiln.serve.model;

/**
 * The model-ready rows of one request: {@code rows} examples, each {@code rowLength} values long,
 * flattened in {@code f32} (images) or {@code i64} (token ids); the other array is null. The
 * batcher concatenates the rows of several requests and runs them in one forward pass.
 *
 * @param rows examples in this request
 * @param rowLength values per example
 * @param f32 float rows, or null
 * @param i64 integer rows, or null
 */
public record Examples(int rows, int rowLength, float[] f32, long[] i64) {
    /** Checks that exactly one array is present and that it holds {@code rows * rowLength} values. */
    public Examples {
        if ((f32 == null) == (i64 == null)) {
            throw new IllegalArgumentException("Examples: exactly one of f32 and i64 must be given");
        }
        long expected = (long) rows * rowLength;
        int actual = f32 != null ? f32.length : i64.length;
        if (rows < 1 || actual != expected) {
            throw new IllegalArgumentException("Examples: " + rows + " rows of " + rowLength + " need " + expected
                    + " values, got " + actual);
        }
    }
}
