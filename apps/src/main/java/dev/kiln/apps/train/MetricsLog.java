package dev.kiln.apps.train;

import dev.kiln.data.io.JsonFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training metrics as JSON Lines: one object per call to {@link #write}, e.g. {@code {"kind":
 * "step", "step": 120, "epoch": 0, "loss": 0.61, "lr": 0.001, "images_per_s": 540.2}}. Each line
 * is flushed as written, so {@code tail -f} and a crash both leave a readable file. NaN and
 * infinities (a diverged loss) are written as {@code null}, JSON having no such numbers.
 */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private final BufferedWriter out;
    private final List<Map<String, Object>> earlier;

    /** Creates (or truncates) {@code file}. */
    public MetricsLog(Path file) throws IOException {
        this(file, List.of());
    }

    private MetricsLog(Path file, List<Map<String, Object>> earlier) throws IOException {
        this.file = file;
        this.earlier = List.copyOf(earlier);
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        for (Map<String, Object> r : earlier) {
            write(r);
        }
    }

    /**
     * Continues the log of a run resumed at {@code step}: keeps the records of {@code file} (if it
     * exists) up to that step, drops later ones (steps the resumed run will take again) and summaries,
     * and appends from there.
     */
    @SuppressWarnings("unchecked")
    public static MetricsLog continuing(Path file, long step) throws IOException {
        List<Map<String, Object>> kept = new ArrayList<>();
        if (Files.exists(file)) {
            for (Object o : JsonFiles.readLines(file)) {
                if (o instanceof Map<?, ?> m && !"summary".equals(m.get("kind"))
                        && (!(m.get("step") instanceof Number n) || n.longValue() <= step)) {
                    kept.add((Map<String, Object>) m);
                }
            }
        }
        return new MetricsLog(file, kept);
    }

    /** The records kept from before a resume (empty for a new log), to replay into plots. */
    public List<Map<String, Object>> earlier() {
        return earlier;
    }

    public Path file() {
        return file;
    }

    /** Appends {@code record} (keys in iteration order) as one line. */
    public void write(Map<String, ?> record) {
        Map<String, Object> clean = new LinkedHashMap<>();
        record.forEach((k, v) -> clean.put(k, finiteOrNull(v)));
        try {
            out.write(JsonFiles.write(clean));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    private static Object finiteOrNull(Object v) {
        if (v instanceof Double d && !Double.isFinite(d)) {
            return null;
        }
        if (v instanceof Float f && !Float.isFinite(f)) {
            return null;
        }
        return v;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
