package dev.kiln.apps.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external tools (dpkg, apt-get, npm) with a timeout, capturing their output. */
final class Processes {
    /**
     * How a command ended.
     *
     * @param exitCode the exit status; -1 when it could not start or timed out
     * @param output stdout and stderr together
     */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The last {@code n} non-empty lines of the output, for error messages. */
        String tail(int n) {
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        }
    }

    private Processes() {}

    /** Runs {@code command} in {@code dir} (null: the current directory); never throws for a failed command. */
    static Result run(List<String> command, Path dir, long timeoutSeconds) {
        Path log = null;
        try {
            log = Files.createTempFile("kiln-data-cmd", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command) + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "cannot run " + command.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException e) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /** True when {@code tool} is an executable on PATH. */
    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** True when this process runs as root (uid 0). */
    static boolean isRoot() {
        Result r = run(List.of("id", "-u"), null, 10);
        return r.ok() && r.output().strip().equals("0");
    }
}
