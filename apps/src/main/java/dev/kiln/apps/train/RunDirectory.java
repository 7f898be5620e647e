package dev.kiln.apps.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Where a training run writes its outputs: {@code --out} when given, else
 * {@code runs/<app>-<yyyyMMdd-HHmmss>} under the working directory. The names of the files inside
 * are fixed so that tools and the later apps find them.
 */
public record RunDirectory(Path path) {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    /** The run directory for {@code app}, created with its parents. */
    public static RunDirectory create(Path out, String app, LocalDateTime now) throws IOException {
        Path dir = out != null ? out : Path.of("runs", app + "-" + STAMP.format(now));
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("--out " + dir + " exists and is not a directory");
        }
        Files.createDirectories(dir);
        return new RunDirectory(dir);
    }

    /** One JSON object per line: steps, epochs, the summary. */
    public Path metrics() {
        return path.resolve("metrics.jsonl");
    }

    /** Training loss and test accuracy curves. */
    public Path plot() {
        return path.resolve("curves.png");
    }

    /** The final weights ({@code Module.stateDict()} names). */
    public Path model() {
        return path.resolve("model.safetensors");
    }

    /** The settings the run used, after defaults and {@code --config}. */
    public Path config() {
        return path.resolve("config.json");
    }
}
