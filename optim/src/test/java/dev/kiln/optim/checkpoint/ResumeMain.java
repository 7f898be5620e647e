package dev.kiln.optim.checkpoint;

import dev.kiln.nn.io.Safetensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The second half of {@link ResumeDeterminismTest}, run in a fresh JVM: resumes the newest
 * checkpoint of {@code args[0]}, trains to {@link ToyRun#TOTAL_STEPS}, and writes the final
 * parameters to {@code args[1]} (safetensors, with each step's loss as metadata {@code loss.<step>}).
 */
public final class ResumeMain {
    private ResumeMain() {}

    public static void main(String[] args) throws Exception {
        ToyRun run = new ToyRun();
        TrainingCheckpoint.Restored r = run.resume(new CheckpointDirectory(Path.of(args[0]), 2));
        r.warnings().forEach(w -> System.err.println("warning: " + w));
        long first = r.step();
        List<Double> losses = run.trainUntil(ToyRun.TOTAL_STEPS);
        Map<String, String> meta = new TreeMap<>();
        meta.put("resumed_from", Long.toString(first));
        for (int i = 0; i < losses.size(); i++) {
            meta.put("loss." + (first + i + 1), Double.toString(losses.get(i)));
        }
        Safetensors.saveModule(Path.of(args[1]), run.model, meta);
        System.out.println("resumed at step " + first + ", trained " + losses.size() + " steps");
    }
}
