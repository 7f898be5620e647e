package dev.kiln.apps.data;

import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code manifest.json} of a fetched data set: name, source, when, every file with its size and
 * SHA-256, and the verified record counts. Its presence marks a data set as fetched and verified.
 */
final class Manifest {
    static final String FILE = "manifest.json";

    private Manifest() {}

    /** Writes the manifest of {@code dir} (all files under it except the manifest itself). */
    static Map<String, Object> write(Path dir, String name, String source, Map<String, Object> counts) throws IOException {
        List<Object> files = new ArrayList<>();
        long total = 0;
        List<Path> paths;
        try (Stream<Path> s = Files.walk(dir)) {
            paths = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(FILE)).sorted().toList();
        }
        for (Path p : paths) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("path", dir.relativize(p).toString().replace('\\', '/'));
            long size = Files.size(p);
            f.put("bytes", size);
            f.put("sha256", sha256(p));
            files.add(f);
            total += size;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("source", source);
        m.put("fetchedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("fileCount", files.size());
        m.put("totalBytes", total);
        m.put("counts", counts);
        m.put("files", files);
        Files.writeString(dir.resolve(FILE), JsonFiles.writePretty(m) + "\n", StandardCharsets.UTF_8);
        return m;
    }

    /** The manifest of {@code dir}, or null when there is none. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        return (Map<String, Object>) JsonFiles.read(f);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
