package dev.kiln.optim.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.autograd.Var;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint → resume is bit-identical: 20 steps straight equal 10 steps, a checkpoint, and 10
 * more steps resumed from it in a new JVM, for every parameter bit and every loss.
 */
class ResumeDeterminismTest {

    private static void assertSameBits(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + "[" + i + "]: uninterrupted " + want[i] + " but resumed " + got[i]);
            }
        }
    }

    private static void assertSameParameters(ToyRun want, Map<String, Tensor> got) {
        Map<String, Var> params = want.model.namedParameters();
        assertEquals(params.keySet(), got.keySet());
        params.forEach((k, p) -> assertSameBits(k, p.value().toFloatArray(), got.get(k).toFloatArray()));
    }

    private static Map<String, Tensor> parameters(ToyRun run) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        run.model.namedParameters().forEach((k, p) -> out.put(k, p.value()));
        return out;
    }

    @Test
    void resumingInANewJvmIsBitIdentical(@TempDir Path tmp) throws Exception {
        ToyRun straight = new ToyRun();
        List<Double> losses = straight.trainUntil(ToyRun.TOTAL_STEPS);

        ToyRun firstHalf = new ToyRun();
        CheckpointDirectory dir = new CheckpointDirectory(tmp.resolve("ckpts"), 2);
        for (int s = 1; s <= 10; s++) {
            List<Double> l = firstHalf.trainUntil(s);
            assertEquals(Double.doubleToLongBits(losses.get(s - 1)), Double.doubleToLongBits(l.get(0)), "loss of step " + s);
            if (s >= 8) {
                firstHalf.save(dir);
            }
        }
        assertEquals(List.of("step-000009.ckpt", "step-000010.ckpt"),
                dir.checkpoints().stream().map(p -> p.getFileName().toString()).toList(), "keeps the last 2");

        // The same resume in this JVM first: quicker to diagnose than the child process.
        ToyRun inProcess = new ToyRun();
        assertEquals(10, inProcess.resume(dir).step());
        List<Double> rest = inProcess.trainUntil(ToyRun.TOTAL_STEPS);
        assertEquals(losses.subList(10, 20), rest, "losses after an in-process resume");
        assertSameParameters(straight, parameters(inProcess));

        // The real thing: a new JVM resumes from the directory and writes its final parameters.
        Path out = tmp.resolve("final.safetensors");
        Path log = tmp.resolve("child.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Xmx1g"));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("kiln.") || k.startsWith("jdk.incubator"))
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ResumeMain.class.getName(), dir.directory().toString(),
                out.toString()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(180, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail("the resumed run did not finish in 180 s; log:\n" + Files.readString(log));
        }
        assertEquals(0, child.exitValue(), "the resumed run failed; command " + cmd + "\nlog:\n" + Files.readString(log));
        try (Safetensors.Checkpoint resumed = Safetensors.load(out)) {
            assertEquals("10", resumed.metadata().get("resumed_from"));
            for (int s = 11; s <= 20; s++) {
                assertEquals(Double.toString(losses.get(s - 1)), resumed.metadata().get("loss." + s), "loss of step " + s);
            }
            assertSameParameters(straight, resumed.tensors());
        }
    }

    /** The comparison can fail: a resume that loses one piece of state (here the dropout stream) diverges. */
    @Test
    void aResumeMissingTheDropoutStateDiverges(@TempDir Path tmp) throws IOException {
        ToyRun straight = new ToyRun();
        straight.trainUntil(ToyRun.TOTAL_STEPS);
        ToyRun first = new ToyRun();
        first.trainUntil(10);
        CheckpointDirectory dir = new CheckpointDirectory(tmp, 1);
        first.save(dir);
        ToyRun resumed = new ToyRun();
        resumed.resume(dir);
        resumed.dropoutGenerator().setOffset(0); // as if the dropout generator were not in the checkpoint
        resumed.trainUntil(ToyRun.TOTAL_STEPS);
        boolean anyDiffers = false;
        for (Map.Entry<String, Var> e : straight.model.namedParameters().entrySet()) {
            anyDiffers |= !Arrays.equals(e.getValue().value().toFloatArray(),
                    resumed.model.namedParameters().get(e.getKey()).value().toFloatArray());
        }
        assertTrue(anyDiffers, "restarting the dropout stream must change the result");
        assertFalse(dir.checkpoints().isEmpty());
    }
}
