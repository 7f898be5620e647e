package dev.kiln.apps;

import dev.kiln.tensor.Device;
import dev.kiln.cuda.CudaProbe;
import dev.kiln.data.io.JsonFiles;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiln doctor}: what this machine offers Kiln. JDK, cores, heap, the Vector API's
 * preferred species and the CPU's SIMD flags behind it, whether a CUDA device is visible, and
 * whether nvcc is installed. Text by default (one aligned {@code key: value} per line), or one
 * JSON object with {@code --json}. Never fails on a missing GPU or toolkit: that is reported.
 */
@Command(name = "doctor",
        description = "Show the JDK, cores, SIMD, Vector API species and CUDA devices.")
final class DoctorCommand implements Runnable {
    /** The SIMD flags that decide which kernels are fast here, in /proc/cpuinfo spelling. */
    private static final List<String> SIMD_FLAGS = List.of(
            "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16",
            "amx_bf16");
    private static final long NVCC_TIMEOUT_SECONDS = 10;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        Map<String, Object> report = report();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JsonFiles.write(report));
        } else {
            printText(out, report);
        }
        out.flush();
    }

    /**
     * Everything the doctor knows, as a tree of maps, lists, strings, numbers, booleans and nulls:
     * the JSON form as is, and the source of the text form.
     */
    static Map<String, Object> report() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kiln", KilnCli.version());
        r.put("kilnHome", System.getProperty("kiln.home"));
        r.put("jdk", ordered(
                "vendor", System.getProperty("java.vendor"),
                "version", Runtime.version().toString(),
                "home", System.getProperty("java.home")));
        r.put("os", ordered(
                "name", System.getProperty("os.name"),
                "version", System.getProperty("os.version"),
                "arch", System.getProperty("os.arch")));
        r.put("cores", ordered(
                "available", Runtime.getRuntime().availableProcessors(),
                "kernelThreads", Device.CPU.threads()));
        r.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        r.put("vectorSpecies", ordered(
                "bits", species.vectorBitSize(),
                "lanes", species.length(),
                "name", species.toString()));
        r.put("cpu", cpu());
        r.put("cuda", cuda(CudaProbe.probe()));
        r.put("nvcc", nvcc());
        return r;
    }

    private static void printText(PrintWriter out, Map<String, Object> r) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("kiln", (String) r.get("kiln"));
        if (r.get("kilnHome") != null) {
            lines.put("kiln home", (String) r.get("kilnHome"));
        }
        Map<?, ?> jdk = (Map<?, ?>) r.get("jdk");
        lines.put("jdk", jdk.get("version") + " (" + jdk.get("vendor") + ")");
        lines.put("java home", (String) jdk.get("home"));
        Map<?, ?> os = (Map<?, ?>) r.get("os");
        lines.put("os", os.get("name") + " " + os.get("version") + " " + os.get("arch"));
        Map<?, ?> cores = (Map<?, ?>) r.get("cores");
        lines.put("cores", cores.get("available") + " (kernel threads: " + cores.get("kernelThreads") + ")");
        lines.put("max heap", gib((Long) r.get("maxHeapBytes")));
        Map<?, ?> vec = (Map<?, ?>) r.get("vectorSpecies");
        lines.put("vector species", vec.get("bits") + "-bit, " + vec.get("lanes") + " float lanes (" + vec.get("name") + ")");
        Map<?, ?> cpu = (Map<?, ?>) r.get("cpu");
        lines.put("cpu", cpu.get("model") == null ? "unknown (no /proc/cpuinfo)" : (String) cpu.get("model"));
        List<?> simd = (List<?>) cpu.get("simd");
        lines.put("cpu simd", simd == null ? "unknown"
                : simd.isEmpty() ? "none of " + String.join(" ", SIMD_FLAGS)
                : String.join(" ", simd.stream().map(String::valueOf).toList()));
        Map<?, ?> cuda = (Map<?, ?>) r.get("cuda");
        if (Boolean.TRUE.equals(cuda.get("available"))) {
            List<?> devices = (List<?>) cuda.get("devices");
            lines.put("cuda", devices.size() + " device(s), driver CUDA " + cuda.get("driverVersion"));
            for (Object d : devices) {
                Map<?, ?> gpu = (Map<?, ?>) d;
                lines.put("cuda device " + gpu.get("ordinal"),
                        gpu.get("name") + " (" + gpu.get("arch") + ", " + gib((Long) gpu.get("memoryBytes")) + ")");
            }
        } else {
            lines.put("cuda", "unavailable: " + cuda.get("reason")
                    + (cuda.get("driverVersion") == null ? "" : " (driver CUDA " + cuda.get("driverVersion") + ")"));
        }
        Map<?, ?> nvcc = (Map<?, ?>) r.get("nvcc");
        lines.put("nvcc", nvcc == null ? "not found (not on PATH, not in /usr/local/cuda/bin)"
                : nvcc.get("version") + " (" + nvcc.get("path") + ")");

        int width = lines.keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
        lines.forEach((k, v) -> out.printf("%-" + width + "s %s%n", k + ":", v));
    }

    /** Model name and the SIMD flags present, from /proc/cpuinfo; nulls where it is missing. */
    private static Map<String, Object> cpu() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        String model = null;
        List<String> simd = null;
        try {
            for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (model == null && key.equals("model name")) {
                    model = value;
                } else if (simd == null && key.equals("flags")) {
                    List<String> flags = List.of(value.split("\\s+"));
                    simd = SIMD_FLAGS.stream().filter(flags::contains).toList();
                }
                if (model != null && simd != null) {
                    break; // the first processor is enough: all cores share a model
                }
            }
        } catch (IOException e) {
            // Not Linux, or /proc hidden: report unknown.
        }
        return ordered("model", model, "simd", simd);
    }

    private static Map<String, Object> cuda(CudaProbe.Result probe) {
        List<Object> devices = new ArrayList<>();
        for (CudaProbe.Gpu gpu : probe.devices()) {
            devices.add(ordered(
                    "ordinal", gpu.ordinal(),
                    "name", gpu.name(),
                    "arch", gpu.arch(),
                    "memoryBytes", gpu.totalMemoryBytes()));
        }
        return ordered(
                "available", probe.available(),
                "driverVersion", probe.driverVersionString().orElse(null),
                "deviceCount", probe.devices().size(),
                "devices", devices,
                "reason", probe.available() ? null : probe.reason());
    }

    /** Path and version line of nvcc, or null when it is not installed. */
    private static Map<String, Object> nvcc() {
        Optional<Path> nvcc = findNvcc();
        if (nvcc.isEmpty()) {
            return null;
        }
        return ordered("path", nvcc.get().toString(), "version", nvccVersion(nvcc.get()));
    }

    private static Optional<Path> findNvcc() {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.add("/usr/local/cuda/bin");
        return dirs.stream()
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "nvcc"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /**
     * The "release" line of {@code nvcc --version} ("Cuda compilation tools, release 13.0,
     * V13.0.88"); its first line only names the program. Output goes to a file rather than a
     * pipe so that a hung nvcc cannot block the read past the timeout.
     */
    private static String nvccVersion(Path nvcc) {
        Path log = null;
        try {
            log = Files.createTempFile("kiln-nvcc", ".txt");
            Process p = new ProcessBuilder(nvcc.toString(), "--version")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(NVCC_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "no answer to --version within " + NVCC_TIMEOUT_SECONDS + " s";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(s -> !s.isEmpty()).toList();
            return lines.stream().filter(s -> s.contains("release")).findFirst()
                    .orElse(lines.isEmpty() ? "--version printed nothing (exit " + p.exitValue() + ")" : lines.getFirst());
        } catch (IOException e) {
            return "cannot run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException e) {
                    // A temp file left behind is harmless.
                }
            }
        }
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** A map that keeps the key order given: {@code ordered("k1", v1, "k2", v2, ...)}. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
