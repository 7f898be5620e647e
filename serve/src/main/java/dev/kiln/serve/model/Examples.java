package dev.kiln.serve.model;

import java.util.List;

/**
 * The model-ready rows of one request: {@code rows} examples, flattened in exactly one of
 * {@code f32} (images, windows; {@code rowLength} values each), {@code i64} (token ids;
 * {@code rowLength} each) or {@code text} (one string per row, for models that tokenize and decode
 * per sequence; {@code rowLength} is 0). The batcher runs the rows of several requests together.
 *
 * @param rows examples in this request
 * @param rowLength values per example (0 for text rows)
 * @param f32 float rows, or null
 * @param i64 integer rows, or null
 * @param text string rows, or null
 * @param options what else the model's {@code run} needs for this request, from its {@code prepare}
 *     (e.g. a generative model's sampling settings from the request's parameters), or null
 */
public record Examples(int rows, int rowLength, float[] f32, long[] i64, List<String> text, Object options) {
    /** Checks that exactly one array is present and that it holds {@code rows * rowLength} values. */
    public Examples {
        int present = (f32 != null ? 1 : 0) + (i64 != null ? 1 : 0) + (text != null ? 1 : 0);
        if (present != 1) {
            throw new IllegalArgumentException("Examples: exactly one of f32, i64 and text must be given, got " + present);
        }
        long expected = text != null ? rows : (long) rows * rowLength;
        int actual = f32 != null ? f32.length : i64 != null ? i64.length : text.size();
        if (rows < 1 || actual != expected) {
            throw new IllegalArgumentException("Examples: " + rows + " rows of " + rowLength + " need " + expected
                    + " values, got " + actual);
        }
        text = text == null ? null : List.copyOf(text);
    }

    /** Rows without options. */
    public Examples(int rows, int rowLength, float[] f32, long[] i64, List<String> text) {
        this(rows, rowLength, f32, i64, text, null);
    }

    /** Numeric rows: exactly one of {@code f32} and {@code i64}. */
    public Examples(int rows, int rowLength, float[] f32, long[] i64) {
        this(rows, rowLength, f32, i64, null, null);
    }

    /** One string per row. */
    public static Examples ofText(List<String> text) {
        return new Examples(text.size(), 0, null, null, text, null);
    }

    /** These rows with {@code options}. */
    public Examples withOptions(Object options) {
        return new Examples(rows, rowLength, f32, i64, text, options);
    }
}
