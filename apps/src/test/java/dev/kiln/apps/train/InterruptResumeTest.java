package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.KilnCli;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Ctrl-C and {@code --resume}: {@code kiln train cnn}, {@code gpt}, {@code rnn}, {@code classify} and
 * {@code seq2seq} run as real processes (the
 * java command {@code ./kiln} runs, on this test's class path), get SIGINT after a few steps,
 * must write a checkpoint and exit 130 (the child holds at that step until the signal comes,
 * {@code -Dkiln.train.holdAtStep}, so a fast run cannot finish first); continued with {@code --resume} they must end with the same
 * {@code model.safetensors}, byte for byte, and the same step losses as an uninterrupted run.
 */
class InterruptResumeTest {
    @TempDir
    static Path root;

    private static final String[] SENTENCES = {
        "The/at cat/nn sat/vbd on/in the/at mat/nn ./.",
        "The/at dog/nn sat/vbd on/in the/at log/nn ./.",
        "A/at cat/nn saw/vbd a/at dog/nn ,/, and/cc the/at dog/nn ran/vbd ./.",
    };

    @BeforeAll
    static void writeData() throws IOException {
        SyntheticIdx.write(root.resolve("data").resolve("fashion-mnist"), 320, 100, 7);
        Path brown = Files.createDirectories(root.resolve("data").resolve("brown"));
        for (int d = 1; d <= 12; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 30; s++) {
                sb.append("\n\n\t").append(SENTENCES[(d + s) % SENTENCES.length]).append('\n');
            }
            Files.writeString(brown.resolve(String.format("ca%02d", d)), sb.toString());
        }
        StringBuilder csv = new StringBuilder("date,temp\n");
        Random r = new Random(3);
        for (int t = 0; t < 900; t++) {
            csv.append(String.format(Locale.ROOT, "h%d,%.3f%n", t, 50 + 10 * Math.sin(2 * Math.PI * t / 24) + 0.3 * r.nextGaussian()));
        }
        Files.writeString(Files.createDirectories(root.resolve("data").resolve("seattle-temps")).resolve("seattle-temps.csv"), csv);
        Path spam = root.resolve("data").resolve("spam-assassin");
        String[][] words = {{"meeting", "patch", "kernel", "review", "lunch", "build"}, {"free", "money", "offer", "click", "cash", "prize"}};
        for (String group : List.of("easy-ham-1", "spam-1")) {
            Path dir = Files.createDirectories(spam.resolve(group));
            String[] w = words[group.startsWith("spam") ? 1 : 0];
            for (int i = 0; i < 40; i++) {
                StringBuilder body = new StringBuilder();
                for (int k = 0; k < 6 + i % 7; k++) {
                    body.append(k == 0 ? "" : " ").append(w[r.nextInt(w.length)]);
                }
                Files.writeString(dir.resolve(String.format("%05d.%s.txt", i, group)), "From a" + i + "@example.com\nSubject: "
                        + w[i % w.length] + " " + i + "\nContent-Type: text/plain\n\n" + body + "\n");
            }
        }
    }

    private static int inProcess(List<String> args) {
        StringWriter out = new StringWriter();
        CommandLine cmd = KilnCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(out, true));
        int code = cmd.execute(args.toArray(String[]::new));
        assertEquals(0, code, String.join(" ", args) + ":\n" + out);
        return code;
    }

    /** The last step recorded in {@code metrics} so far (0 when none); a line being written is skipped. */
    private static long lastStep(Path metrics) throws IOException {
        if (!Files.exists(metrics)) {
            return 0;
        }
        long last = 0;
        for (String line : Files.readAllLines(metrics)) {
            try {
                if (JsonFiles.parse(line, "metrics") instanceof Map<?, ?> m && "step".equals(m.get("kind"))
                        && m.get("step") instanceof Number n) {
                    last = n.longValue();
                }
            } catch (MalformedDataException partial) {
                // the line is still being written
            }
        }
        return last;
    }

    /** Starts {@code args} as `./kiln` would, sends SIGINT once step {@code atStep} is recorded, returns the exit status. */
    private static int interruptedProcess(Path out, long atStep, List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xss8m", "-Xmx1g",
                "-Dkiln.train.holdAtStep=" + atStep, // the run waits there for the signal: no race with a fast run
                "-cp", System.getProperty("java.class.path"), "dev.kiln.apps.KilnCli"));
        cmd.addAll(args);
        Path log = out.resolveSibling(out.getFileName() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean sent = false;
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (lastStep(out.resolve("metrics.jsonl")) >= atStep) {
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
                assertEquals(0, kill.waitFor(), "kill -INT " + p.pid());
                sent = true;
                break;
            }
            Thread.sleep(5);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the interrupted run did not exit");
        String output = Files.readString(log);
        assertTrue(sent, "the run ended before step " + atStep + " was recorded (exit " + p.exitValue() + "):\n" + output);
        assertTrue(output.contains("interrupted after step"), output);
        return p.exitValue();
    }

    private static List<Object> stepLosses(Path run) throws IOException {
        return JsonFiles.readLines(run.resolve("metrics.jsonl")).stream().map(o -> (Map<?, ?>) o)
                .filter(m -> "step".equals(m.get("kind"))).map(m -> List.of(m.get("step"), m.get("loss"))).map(Object.class::cast)
                .toList();
    }

    private static void interruptAndResume(String app, long atStep, String... settings) throws Exception {
        Path whole = root.resolve(app + "-whole");
        Path parts = root.resolve(app + "-parts");
        List<String> base = new ArrayList<>(List.of("train", app, "--data-dir", root.resolve("data").toString(), "--threads", "2"));
        base.addAll(Arrays.asList(settings));

        List<String> wholeArgs = new ArrayList<>(base);
        wholeArgs.addAll(List.of("--out", whole.toString()));
        inProcess(wholeArgs);

        List<String> partArgs = new ArrayList<>(base);
        partArgs.addAll(List.of("--out", parts.toString()));
        assertEquals(TrainingRun.INTERRUPTED_EXIT, interruptedProcess(parts, atStep, partArgs));
        assertTrue(Files.notExists(parts.resolve("model.safetensors")), "an interrupted run writes no final model");
        long stoppedAt = lastStep(parts.resolve("metrics.jsonl"));
        assertEquals(atStep, stoppedAt, "the run held at step " + atStep + " until the signal came");
        assertTrue(Files.exists(parts.resolve("checkpoints").resolve(String.format("step-%06d.ckpt", stoppedAt))),
                "a checkpoint at the step it stopped, " + stoppedAt);

        List<String> resumeArgs = new ArrayList<>(partArgs);
        resumeArgs.add("--resume");
        inProcess(resumeArgs);

        assertEquals(stepLosses(whole), stepLosses(parts), app + ": step losses, uninterrupted vs interrupted + resumed");
        assertArrayEquals(Files.readAllBytes(whole.resolve("model.safetensors")), Files.readAllBytes(parts.resolve("model.safetensors")),
                app + ": model.safetensors of the resumed run differs from the uninterrupted run's");
    }

    @Test
    void cnnInterruptedBySigintAndResumedEndsWithTheSameWeights() throws Exception {
        interruptAndResume("cnn", 25, "--epochs", "6", "--batch-size", "16", "--limit-test", "40", "--log-every", "50");
    }

    @Test
    void gptInterruptedBySigintAndResumedEndsWithTheSameWeights() throws Exception {
        interruptAndResume("gpt", 30, "--steps", "150", "--layers", "1", "--width", "32", "--heads", "2", "--context", "24",
                "--batch-size", "8", "--eval-windows", "16", "--eval-every", "50", "--checkpoint-every", "40",
                "--sample-length", "0", "--log-every", "100");
    }

    @Test
    void rnnInterruptedBySigintAndResumedEndsWithTheSameWeights() throws Exception {
        interruptAndResume("rnn", 20, "--epochs", "4", "--batch-size", "8", "--window", "24", "--hidden", "16",
                "--log-every", "100");
    }

    @Test
    void classifyInterruptedBySigintAndResumedEndsWithTheSameWeights() throws Exception {
        // dropout on: its masks must resume too
        interruptAndResume("classify", 12, "--epochs", "8", "--batch-size", "4", "--layers", "1", "--width", "16",
                "--heads", "2", "--max-tokens", "16", "--min-count", "1", "--warmup", "3", "--dropout", "0.2",
                "--show-errors", "0", "--log-every", "100");
    }

    @Test
    void seq2seqInterruptedBySigintAndResumedEndsWithTheSameWeights() throws Exception {
        // about 17 batches an epoch: the run crosses epochs, whose batch orders a resume must draw again; dropout on
        interruptAndResume("seq2seq", 25, "--synthetic", "300", "--steps", "120", "--batch-size", "16", "--width", "16",
                "--heads", "2", "--encoder-layers", "1", "--decoder-layers", "1", "--dropout", "0.1", "--test-words", "20",
                "--val-words", "10", "--eval-every", "30", "--beam", "2", "--cost-words", "0", "--examples", "0",
                "--log-every", "100");
    }

    @Test
    void resumeWithoutACheckpointIsAUsageError() {
        StringWriter out = new StringWriter();
        CommandLine cmd = KilnCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(out, true));
        int code = cmd.execute("train", "cnn", "--data-dir", root.resolve("data").toString(), "--out",
                root.resolve("empty").toString(), "--resume");
        assertEquals(2, code, out.toString());
        assertTrue(out.toString().contains("no checkpoint in"), out.toString());
    }
}
