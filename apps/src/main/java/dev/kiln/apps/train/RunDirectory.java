package dev.kiln.apps.train;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a training run writes its outputs: {@code --out} when given, else
 * {@code runs/<app>-<yyyyMMdd-HHmmss>} under the working directory. The names of the files inside
 * are fixed so that tools and the later apps find them.
 */
public record RunDirectory(Path path) {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    /**
     * Every name a {@code kiln train} app or {@code kiln eval} writes directly in a run directory:
     * what {@code --force} deletes. A file an app starts writing must be added here, or a forced
     * run leaves the old one in place.
     */
    static final Set<String> OUTPUTS = Set.of("metrics.jsonl", "curves.png", "model.safetensors", "config.json",
            "vocab.json", "tokenizer.json", "test_predictions.jsonl", "predictions.tsv", "report.json", "report.md",
            "report.html", "sample.txt", "confusion.png", "calibration.png", "worst.png");

    /** The folders a run writes (checkpoints, eval's report): deleted whole by {@code --force}. */
    static final Set<String> OUTPUT_FOLDERS = Set.of("checkpoints", "eval");

    /** The names of the entries in {@code dir}, sorted (empty for a directory that does not exist). */
    static List<String> contents(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Whether {@code dir} holds what a run writes first (its settings, metrics or checkpoints). */
    static boolean looksLikeRun(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) || Files.isRegularFile(dir.resolve("metrics.jsonl"))
                || Files.isDirectory(dir.resolve("checkpoints"), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Deletes the {@link #OUTPUTS}, the {@link #OUTPUT_FOLDERS} and interrupted atomic writes
     * ({@code .NAME.*.tmp}) of the run in {@code dir}; anything else stays.
     *
     * @return the names of the entries left
     */
    static List<String> clearRun(Path dir) throws IOException {
        for (String name : contents(dir)) {
            Path p = dir.resolve(name);
            boolean tmp = name.startsWith(".") && name.endsWith(".tmp")
                    && OUTPUTS.stream().anyMatch(o -> name.startsWith("." + o + "."));
            if ((OUTPUTS.contains(name) || tmp) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(p);
            } else if (OUTPUT_FOLDERS.contains(name) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(p);
            }
        }
        return contents(dir);
    }

    /** Deletes {@code root} and everything under it; symbolic links are removed, never followed. */
    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

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
