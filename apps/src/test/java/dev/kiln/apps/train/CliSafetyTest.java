package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.kiln.apps.CliRun;
import dev.kiln.apps.KilnCli;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code kiln} command when things go wrong, in-process (one real process for the exit code):
 * every failure is exactly one line on stderr, without Java frames unless {@code --verbose}; a
 * reused {@code --out} is refused unless {@code --resume} or {@code --force}; a diverging run
 * stops naming the step; corrupted, truncated and missing model files are reported by eval.
 */
class CliSafetyTest {
    @TempDir
    static Path root;

    /** A tiny cnn run: 64 training images in batches of 32, 20 test images. */
    private static Path trained;

    @BeforeAll
    static void writeDataAndTrainOnce() throws IOException {
        SyntheticIdx.write(root.resolve("data").resolve("fashion-mnist"), 64, 20, 7);
        trained = root.resolve("trained");
        CliRun r = train(trained);
        assertEquals(0, r.exitCode(), r.out() + r.err());
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static List<String> cnn(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "cnn", "--data-dir", root.resolve("data").toString(), "--out",
                out.toString(), "--threads", "2", "--batch-size", "32", "--log-every", "100"));
        args.addAll(Arrays.asList(extra));
        if (!args.contains("--epochs")) {
            args.addAll(List.of("--epochs", "1"));
        }
        return args;
    }

    private static CliRun train(Path out, String... extra) {
        return run(cnn(out, extra).toArray(String[]::new));
    }

    private static long steps(Path metrics) throws IOException {
        return JsonFiles.readLines(metrics).stream().filter(o -> "step".equals(((Map<?, ?>) o).get("kind"))).count();
    }

    // ---------------------------------------------------------------- --out

    @Test
    void aNonEmptyOutIsRefusedAndForceReplacesTheRun() throws IOException {
        Path out = root.resolve("reused");
        assertEquals(0, train(out).exitCode());
        Files.writeString(out.resolve("notes.md"), "mine\n");
        Path stale = Files.createDirectories(out.resolve("eval")).resolve("report.md");
        Files.writeString(stale, "old report\n");

        CliRun again = train(out);
        assertEquals(2, again.exitCode(), again.err());
        String line = again.errorLine();
        assertTrue(line.startsWith("kiln train cnn: " + out + ": the run directory is not empty ("), line);
        assertTrue(line.contains("--resume") && line.contains("--force"), line);
        CliRun beforeData = run("train", "cnn", "--data-dir", root.resolve("nowhere").toString(), "--out", out.toString());
        assertEquals(2, beforeData.exitCode(), beforeData.err());
        assertEquals(line, beforeData.errorLine(), "refused before the (missing) data is read");

        CliRun forced = train(out, "--force");
        assertEquals(0, forced.exitCode(), forced.out() + forced.err());
        assertEquals(2, steps(out.resolve("metrics.jsonl")), "only the new run's steps, not appended to the old ones");
        assertEquals("mine\n", Files.readString(out.resolve("notes.md")), "a file kiln did not write stays");
        assertFalse(Files.exists(stale), "the old run's eval report is gone");
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
    }

    @Test
    void forceLeavesADirectoryThatHoldsNoRunAlone() throws IOException {
        Path out = Files.createDirectories(root.resolve("thesis"));
        Files.writeString(out.resolve("chapter1.tex"), "\\section{}\n");
        Files.writeString(out.resolve("report.md"), "not a kiln report\n");
        CliRun r = train(out, "--force");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains(out + ": --force replaces runs only"), r.err());
        assertTrue(Files.exists(out.resolve("chapter1.tex")) && Files.exists(out.resolve("report.md")));
    }

    @Test
    void resumeAndForceTogetherAreAUsageError() {
        CliRun r = train(trained, "--resume", "--force");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("give one"), r.err());
    }

    @Test
    void anOutThatIsAFileIsAUsageError() throws IOException {
        Path file = Files.writeString(root.resolve("a-file"), "x");
        CliRun r = train(file);
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("kiln train cnn: " + file + ": --out exists and is not a directory", r.errorLine());
    }

    @Test
    void anOutUnderProcIsOneLineAndVerboseAddsTheTrace() {
        Path out = Path.of("/proc", "kiln-no-such-dir", "run");
        CliRun r = train(out);
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.errorLine().matches("kiln train cnn: /proc/\\S+: .+"), r.err());

        CliRun verbose = train(out, "--verbose");
        assertEquals(1, verbose.exitCode());
        assertEquals(r.err().lines().findFirst(), verbose.err().lines().findFirst(), "the same line first");
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace:\n" + verbose.err());
    }

    @Test
    void aReadOnlyOutSaysPermissionDenied() throws IOException {
        Path locked = Files.createDirectories(root.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(locked), "running as root: chmod 555 does not stop writes");
            CliRun below = train(locked.resolve("run"));
            assertEquals(1, below.exitCode(), below.err());
            assertEquals("kiln train cnn: " + locked.resolve("run") + ": permission denied", below.errorLine());
            CliRun itself = train(locked);
            assertEquals(1, itself.exitCode(), itself.err());
            assertEquals("kiln train cnn: " + locked + ": the run directory is not writable", itself.errorLine());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void missingDataIsOneLineWithTheFetchCommand() {
        Path nowhere = root.resolve("nowhere");
        CliRun r = run("train", "cnn", "--data-dir", nowhere.toString(), "--out", root.resolve("no-data").toString());
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.errorLine().endsWith("; fetch it with: ./kiln data fetch fashion-mnist --data-dir " + nowhere), r.err());
    }

    @Test
    void anUnknownOptionIsOneLineWithASuggestion() {
        CliRun r = train(root.resolve("typo"), "--lrr", "0.1");
        assertEquals(2, r.exitCode(), r.err());
        String line = r.errorLine();
        assertTrue(line.startsWith("kiln train cnn: Unknown option") && line.contains("'--lrr'")
                && line.contains("did you mean --lr?") && line.endsWith("(see kiln train cnn --help)"), line);
    }

    // ---------------------------------------------------------------- divergence

    @Test
    void aHugeLearningRateStopsTheRunNamingTheStep() throws IOException {
        Path out = root.resolve("diverged");
        CliRun r = train(out, "--epochs", "20", "--lr", "1e6", "--schedule", "constant");
        assertEquals(1, r.exitCode(), r.out() + r.err());
        String line = r.errorLine();
        assertTrue(line.matches("kiln train cnn: loss is (NaN|-?Infinity) at step \\d+ \\(epoch \\d+\\); lower --lr, .*"), line);
        long step = Long.parseLong(line.replaceAll(".* at step (\\d+) .*", "$1"));
        assertFalse(Files.exists(out.resolve("model.safetensors")), "no model from diverged weights");
        List<Path> kept = new dev.kiln.optim.checkpoint.CheckpointDirectory(out.resolve("checkpoints"), 2).checkpoints();
        for (Path ckpt : kept) { // one per epoch of 2 steps
            assertTrue(ckpt.getFileName().toString().compareTo(String.format("step-%06d.ckpt", step)) < 0,
                    ckpt + ": only checkpoints before the bad step " + step);
        }
        assertTrue(kept.isEmpty() ? line.endsWith("no checkpoint was written before it")
                : line.endsWith("the last good checkpoint is " + kept.getLast()), line);

        CliRun warned = train(root.resolve("diverged-warn"), "--epochs", "3", "--lr", "1e6", "--schedule", "constant",
                "--on-nonfinite", "warn");
        assertEquals(0, warned.exitCode(), warned.out() + warned.err());
        assertEquals(1, warned.out().lines().filter(l -> l.startsWith("warning: loss is")).count(), warned.out());
    }

    // ---------------------------------------------------------------- eval

    private static Path copyOfTrained(String name) throws IOException {
        Path copy = Files.createDirectories(root.resolve(name));
        for (String f : List.of("model.safetensors", "config.json")) {
            Files.copy(trained.resolve(f), copy.resolve(f));
        }
        return copy;
    }

    @Test
    void evalReportsAFlippedByteAsAChecksumMismatch() throws IOException {
        Path run = copyOfTrained("flipped");
        Path model = run.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        int dataStart = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        CRC32C good = new CRC32C();
        good.update(bytes, dataStart, bytes.length - dataStart);
        bytes[dataStart + (bytes.length - dataStart) / 2] ^= 0x04;
        CRC32C bad = new CRC32C();
        bad.update(bytes, dataStart, bytes.length - dataStart);
        Files.write(model, bytes);

        CliRun r = run("eval", run.toString(), "--data-dir", root.resolve("data").toString());
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(String.format("kiln eval: %s: checksum mismatch, the file is corrupted (expected CRC32C %08x, got %08x)",
                model, good.getValue(), bad.getValue()), r.errorLine());
    }

    @Test
    void evalReportsATruncatedModel() throws IOException {
        Path run = copyOfTrained("truncated");
        Path model = run.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, Arrays.copyOf(bytes, bytes.length - 100));
        CliRun r = run("eval", run.toString());
        assertEquals(1, r.exitCode(), r.err());
        assertEquals("kiln eval: " + model + ": the file is truncated (expected " + bytes.length + " bytes, found "
                + (bytes.length - 100) + ")", r.errorLine());
    }

    @Test
    void evalOfAnEmptyDirectoryOrACheckpointSaysThereIsNoModel() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty-run"));
        CliRun r = run("eval", empty.toString());
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("kiln eval: no model.safetensors in " + empty + " (the directory is empty)", r.errorLine());

        Path ckpt = new dev.kiln.optim.checkpoint.CheckpointDirectory(trained.resolve("checkpoints"), 2).checkpoints().getLast();
        CliRun c = run("eval", ckpt.toString());
        assertEquals(2, c.exitCode(), c.err());
        assertTrue(c.errorLine().startsWith("kiln eval: " + ckpt + ": a training checkpoint, not a model"), c.err());

        Path unfinished = Files.createDirectories(root.resolve("unfinished").resolve("checkpoints")).getParent();
        CliRun u = run("eval", unfinished.toString());
        assertEquals(2, u.exitCode(), u.err());
        assertTrue(u.errorLine().contains("the run did not finish"), u.err());
    }

    /** The real `kiln` process: exit status 1 and the one line, as a shell sees them. */
    @Test
    void aRealProcessExitsWithOneAndPrintsOneLine() throws Exception {
        Path run = copyOfTrained("process");
        Path model = run.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, Arrays.copyOf(bytes, 5));
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.kiln.apps.KilnCli", "eval", run.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(List.of("kiln eval: " + model + ": the file is truncated or not a safetensors file (expected at least"
                + " 8 bytes for the header length, found 5)"), lines);
    }
}
