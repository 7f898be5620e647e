package dev.kiln.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device seam as a rule on the sources: outside the tensor module (and the native module,
 * where the CUDA backend will live) no main source names the CPU backend's storage, its backend
 * package or its kernels, so every module reaches device memory only through
 * {@code dev.kiln.tensor.backend.Backend}; and the optimizer module never copies a tensor to the
 * host. The kernel benchmarks in bench/ measure kernels themselves and may name
 * {@code kernels.cpu}, nothing else.
 */
class DeviceSeamRuleTest {
    private static final Pattern CPU_STORAGE = Pattern.compile("dev\\.kiln\\.tensor\\.storage\\.CpuStorage|\\bCpuStorage\\b");
    private static final Pattern CPU_BACKEND = Pattern.compile("dev\\.kiln\\.tensor\\.cpu\\.|\\bCpuBackend\\b|\\bCpuParallel\\b");
    private static final Pattern CPU_KERNELS = Pattern.compile("dev\\.kiln\\.tensor\\.kernels\\.cpu\\.");
    private static final Pattern HOST_COPY = Pattern.compile("\\.(toDoubleArray|toFloatArray|toLongArray|toBooleanArray|toBits)\\(|\\.download\\(");

    /** The repository root: the parent of this module's directory. */
    private static Path root() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("tensor")) ? here : here.getParent();
    }

    /** Violations of one pattern in the .java files under {@code dir}, as "file:line: text". */
    static List<String> violations(Path dir, Pattern pattern) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    String code = line.strip();
                    if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                        continue; // documentation may name the classes it is not allowed to use
                    }
                    if (pattern.matcher(line).find()) {
                        out.add(dir.relativize(f) + ":" + (i + 1) + ": " + code);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static List<Path> modulesOutsideTensor() throws IOException {
        try (Stream<Path> dirs = Files.list(root())) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("pom.xml")))
                    .filter(d -> !d.getFileName().toString().equals("tensor") && !d.getFileName().toString().equals("native"))
                    .sorted().toList();
        }
    }

    @Test
    void noModuleOutsideTensorReachesPastTheBackend() throws IOException {
        List<Path> modules = modulesOutsideTensor();
        assertTrue(modules.stream().anyMatch(m -> m.endsWith("optim")) && modules.stream().anyMatch(m -> m.endsWith("apps")),
                "found the modules " + modules);
        List<String> found = new ArrayList<>();
        for (Path m : modules) {
            Path src = m.resolve("src/main/java");
            found.addAll(violations(src, CPU_STORAGE).stream().map(v -> m.getFileName() + "/" + v).toList());
            found.addAll(violations(src, CPU_BACKEND).stream().map(v -> m.getFileName() + "/" + v).toList());
            if (!m.endsWith("bench")) {
                found.addAll(violations(src, CPU_KERNELS).stream().map(v -> m.getFileName() + "/" + v).toList());
            }
        }
        assertEquals(List.of(), found, "code outside tensor that names CPU storage, the CPU backend or its kernels");
    }

    @Test
    void optimizersNeverCopyATensorToTheHost() {
        assertEquals(List.of(), violations(root().resolve("optim/src/main/java"), HOST_COPY),
                "optim code that downloads a tensor (use dev.kiln.tensor.TrainingOps or read one scalar with item())");
    }

    /** The rule can fail: a planted violation of each kind is found. */
    @Test
    void theScanFindsPlantedViolations(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("Bad.java"), """
                package x;
                import dev.kiln.tensor.storage.CpuStorage;
                // CpuStorage in a comment is fine
                class Bad { float[] f(dev.kiln.tensor.Tensor t) { dev.kiln.tensor.kernels.cpu.CpuParallel.threads(); return t.toFloatArray(); } }
                """);
        assertEquals(1, violations(dir, CPU_STORAGE).size());
        assertEquals(1, violations(dir, CPU_BACKEND).size());
        assertEquals(1, violations(dir, CPU_KERNELS).size());
        assertEquals(1, violations(dir, HOST_COPY).size());
    }
}
