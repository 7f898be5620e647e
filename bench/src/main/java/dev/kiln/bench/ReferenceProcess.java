package dev.kiln.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-lived reference-engine process ({@code bench/python/<script> --serve}) that answers one
 * JSON line per request line, so the Java side can interleave its own timings with the
 * reference's. The script prints a line containing {@code "ready"} once it has started.
 * {@link #unavailable} says why there is no reference (script missing, interpreter or package
 * absent, a bad answer); the benchmark then reports Kiln alone.
 */
final class ReferenceProcess implements AutoCloseable {
    private final String label;
    private final Process process;
    private final BufferedReader reader;
    private final PrintWriter writer;
    String unavailable;

    private ReferenceProcess(String label, Process process, String unavailable) {
        this.label = label;
        this.process = process;
        this.unavailable = unavailable;
        this.reader = process == null ? null
                : new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.writer = process == null ? null : new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** bench/python/{@code fileName} under -Dkiln.home, else the working directory or its parents. */
    static Path findScript(String fileName) {
        Path rel = Path.of("bench", "python", fileName);
        String home = System.getProperty("kiln.home");
        if (home != null) {
            return Path.of(home).resolve(rel);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(rel))) {
                return dir.resolve(rel);
            }
        }
        return Path.of("").toAbsolutePath().resolve(rel);
    }

    /**
     * Starts {@code python script --serve args...} with {@code env} added to (and {@code unsetEnv}
     * removed from) the environment, and waits for its ready line.
     *
     * @param label what the reference is ("numpy", "torch"), for messages
     * @param module the Python module it needs, for the hint when it does not start
     */
    static ReferenceProcess start(String label, String module, String python, Path script, List<String> args,
                                  Map<String, String> env, List<String> unsetEnv) {
        String none = "no " + label + " reference: ";
        if (!Files.isRegularFile(script)) {
            return new ReferenceProcess(label, null, none + script
                    + " not found (run from the repository root or pass -Dkiln.home=<repo root>)");
        }
        List<String> command = new java.util.ArrayList<>(List.of(python, script.toString(), "--serve"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        unsetEnv.forEach(pb.environment()::remove);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        ReferenceProcess ref;
        try {
            ref = new ReferenceProcess(label, pb.start(), null);
        } catch (IOException e) {
            return new ReferenceProcess(label, null, none + "cannot run '" + python + "': " + e.getMessage());
        }
        try {
            String hello = ref.reader.readLine();
            if (hello == null || !hello.contains("\"ready\"")) {
                ref.unavailable = none + "'" + python + " " + script + "' did not start (is " + module
                        + " installed? try: " + python + " -c 'import " + module + "')";
            }
        } catch (IOException e) {
            ref.unavailable = none + e.getMessage();
        }
        return ref;
    }

    /**
     * Sends one request line and returns the number each pattern captures (group 1) from the
     * answer, or null (and sets {@link #unavailable}) when the reference is gone or answers
     * something else.
     */
    double[] ask(String request, Pattern... fields) {
        if (unavailable != null) {
            return null;
        }
        try {
            writer.println(request);
            String line = reader.readLine();
            double[] values = new double[fields.length];
            for (int i = 0; i < fields.length; i++) {
                Matcher m = line == null ? null : fields[i].matcher(line);
                if (m == null || !m.find()) {
                    unavailable = "no " + label + " reference: it answered " + line;
                    return null;
                }
                values[i] = Double.parseDouble(m.group(1));
            }
            return values;
        } catch (IOException e) {
            unavailable = "no " + label + " reference: " + e.getMessage();
            return null;
        }
    }

    /** A pattern capturing the number after {@code "name":} in a JSON line. */
    static Pattern field(String name) {
        return Pattern.compile("\"" + Pattern.quote(name) + "\":\\s*([0-9.eE+-]+)");
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        writer.close(); // EOF on stdin ends the --serve loop
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
