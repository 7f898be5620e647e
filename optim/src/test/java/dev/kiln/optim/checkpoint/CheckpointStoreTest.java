package dev.kiln.optim.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.LrSchedule;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.OneCycle;
import dev.kiln.optim.ParamGroup;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint contents round trip; corruption and truncation are caught; keep-last-K and latest resolution. */
class CheckpointStoreTest {

    /** A model + optimizer + scheduler + generator with some training history. */
    private static final class Setup {
        final Linear model = new Linear(4, 3, true, new Generator(1));
        final AdamW opt = AdamW.builder(model.parameters()).lr(1e-2).weightDecay(0.05).build();
        final LrScheduler sched = new LrScheduler(opt, LrSchedule.cosine(10, 1e-4));
        final Generator rng = new Generator(99);
        final TrainingCheckpoint ckpt = new TrainingCheckpoint(model, opt).scheduler(sched).generator("noise", rng);

        void train(int steps) {
            for (int s = 0; s < steps; s++) {
                opt.zeroGrad();
                Var x = Var.constant(Tensor.randn(rng, 2, 4));
                Var y = model.forward(x);
                y.mul(y).mean().backward();
                opt.step();
                sched.step();
            }
        }

        float[] flat() {
            float[] w = model.weight.value().toFloatArray();
            float[] b = model.bias.value().toFloatArray();
            float[] out = java.util.Arrays.copyOf(w, w.length + b.length);
            System.arraycopy(b, 0, out, w.length, b.length);
            return out;
        }
    }

    @Test
    void everythingRoundTrips(@TempDir Path tmp) throws IOException {
        Setup a = new Setup();
        a.train(3);
        a.opt.paramGroups().get(0).setWeightDecay(0.07); // a hyper-parameter changed outside the schedule
        Path f = tmp.resolve("a.ckpt");
        a.ckpt.save(f, 3, Map.of("epoch", "2", "index", "17", "scaler.scale", "32768.0"));
        Setup b = new Setup();
        TrainingCheckpoint.Restored r = b.ckpt.load(f);
        assertEquals(3, r.step());
        assertEquals(2, r.extraLong("epoch"));
        assertEquals(17, r.extraLong("index"));
        assertEquals("32768.0", r.extra().get("scaler.scale"));
        assertEquals(List.of(), r.warnings());
        assertArrayEquals(a.flat(), b.flat(), 0f);
        assertEquals(a.sched.stepCount(), b.sched.stepCount());
        assertEquals(a.opt.paramGroups().get(0).lr(), b.opt.paramGroups().get(0).lr(), 0);
        assertEquals(0.07, b.opt.paramGroups().get(0).weightDecay(), 0);
        assertEquals(a.rng.state(), b.rng.state());
        Map<String, Tensor> sa = a.opt.stateTensors();
        Map<String, Tensor> sb = b.opt.stateTensors();
        assertEquals(sa.keySet(), sb.keySet());
        sa.forEach((k, v) -> assertArrayEquals(v.toDoubleArray(), sb.get(k).toDoubleArray(), 0, k));
        // and both continue identically
        a.train(2);
        b.train(2);
        assertArrayEquals(a.flat(), b.flat(), 0f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.extraLong("missing"));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void perGroupHyperParametersRoundTrip(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("groups.ckpt");
        Linear a = new Linear(3, 2, true, new Generator(5));
        SGD sgdA = SGD.builder(new ParamGroup(List.of(a.weight)).momentum(0.9).nesterov(true),
                new ParamGroup(List.of(a.bias)).dampening(0.2)).lr(0.1).build();
        LrScheduler schedA = new LrScheduler(sgdA, OneCycle.builder(0.2, 20).build()); // cycles momentum
        for (int s = 0; s < 3; s++) {
            schedA.step();
        }
        sgdA.paramGroups().get(1).set(ParamGroup.MAXIMIZE, true);
        new TrainingCheckpoint(a, sgdA).scheduler(schedA).save(f, 3, Map.of());

        Linear b = new Linear(3, 2, true, new Generator(6));
        SGD sgdB = SGD.builder(new ParamGroup(List.of(b.weight)).momentum(0.9).nesterov(true),
                new ParamGroup(List.of(b.bias)).dampening(0.2)).lr(0.1).build();
        LrScheduler schedB = new LrScheduler(sgdB, OneCycle.builder(0.2, 20).build());
        new TrainingCheckpoint(b, sgdB).scheduler(schedB).load(f);
        for (int i = 0; i < 2; i++) {
            assertEquals(sgdA.paramGroups().get(i).options(), sgdB.paramGroups().get(i).options(), "group " + i);
        }
        assertTrue(sgdB.paramGroups().get(1).getBoolean(ParamGroup.MAXIMIZE));
        assertTrue(sgdB.paramGroups().get(0).getDouble(ParamGroup.MOMENTUM) < 0.95, "the cycled momentum came back");
    }

    private static void flipByte(Path f, long pos) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(pos);
            int v = raf.read();
            raf.seek(pos);
            raf.write(v ^ 0x10);
        }
    }

    @Test
    void aFlippedBitIsCaughtAndChangesNothing(@TempDir Path tmp) throws IOException {
        Setup a = new Setup();
        a.train(2);
        Path f = tmp.resolve("a.ckpt");
        a.ckpt.save(f, 2, Map.of());
        flipByte(f, Files.size(f) - 5); // inside the last tensor's data
        Setup b = new Setup();
        float[] before = b.flat();
        Generator.State rngBefore = b.rng.state();
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> b.ckpt.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
        assertEquals(f, e.file());
        assertArrayEquals(before, b.flat(), 0f, "a corrupt file restores nothing");
        assertEquals(rngBefore, b.rng.state());
        assertEquals(0, b.sched.stepCount());
    }

    @Test
    void aChangedMetadataValueIsCaught(@TempDir Path tmp) throws IOException {
        Setup a = new Setup();
        Path f = tmp.resolve("a.ckpt");
        a.ckpt.save(f, 12345, Map.of());
        byte[] bytes = Files.readAllBytes(f);
        String s = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = s.indexOf("12345");
        assertTrue(at > 0);
        bytes[at] = '9'; // "92345": still valid JSON, a different step
        Files.write(f, bytes);
        assertThrows(CorruptCheckpointException.class, () -> CheckpointFile.read(f));
    }

    @Test
    void aTruncatedFileIsCaughtWithTheFileName(@TempDir Path tmp) throws IOException {
        Setup a = new Setup();
        Path f = tmp.resolve("t.ckpt");
        a.ckpt.save(f, 1, Map.of());
        long size = Files.size(f);
        for (long keep : new long[] {size - 3, size / 2, 20, 4, 0}) {
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(keep);
            }
            CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> new Setup().ckpt.load(f),
                    "truncated to " + keep);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void aFileWithoutChecksumIsRejected(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("plain.safetensors");
        Safetensors.save(f, Map.of("x", Tensor.zeros(3)), Map.of("step", "1"));
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> CheckpointFile.read(f));
        assertTrue(e.getMessage().contains("no 'kiln.sha256'"), e.getMessage());
    }

    @Test
    void aCheckpointThatDoesNotFitIsAClearError(@TempDir Path tmp) throws IOException {
        Setup a = new Setup();
        a.train(1);
        Path f = tmp.resolve("a.ckpt");
        a.ckpt.save(f, 1, Map.of());
        Setup b = new Setup();
        b.ckpt.generator("dropout", new Generator(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.ckpt.load(f));
        assertTrue(e.getMessage().contains("'dropout'"), e.getMessage());

        Linear model = new Linear(4, 3, true, new Generator(1));
        TrainingCheckpoint sgd = new TrainingCheckpoint(model, new SGD(model.parameters(), 0.1));
        e = assertThrows(IllegalArgumentException.class, () -> sgd.load(f));
        assertTrue(e.getMessage().contains("Adam"), e.getMessage());

        Linear other = new Linear(5, 3, true, new Generator(1));
        TrainingCheckpoint wrongShape = new TrainingCheckpoint(other, AdamW.builder(other.parameters()).lr(1e-2).weightDecay(0.05).build())
                .scheduler(new LrScheduler(AdamW.builder(other.parameters()).lr(1e-2).weightDecay(0).build(), LrSchedule.constant()))
                .generator("noise", new Generator(3));
        e = assertThrows(IllegalArgumentException.class, () -> wrongShape.load(f));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
    }

    @Test
    void keepsTheLastKAndResolvesLatestPastACorruptFile(@TempDir Path tmp) throws IOException {
        Setup a = new Setup();
        CheckpointDirectory dir = new CheckpointDirectory(tmp.resolve("run"), 2);
        assertEquals(Optional.empty(), dir.restoreLatest(new Setup().ckpt));
        Path leftover = dir.directory().resolve(".step-000003.ckpt.1a2b.tmp"); // a save interrupted by a crash
        Files.writeString(leftover, "partial");
        Files.writeString(dir.directory().resolve("notes.txt"), "not a checkpoint");
        float[] atStep4 = null;
        for (int s = 1; s <= 5; s++) {
            a.train(1);
            dir.save(a.ckpt, s, Map.of("index", Integer.toString(10 * s)));
            if (s == 4) {
                atStep4 = a.flat();
            }
        }
        assertEquals(List.of("step-000004.ckpt", "step-000005.ckpt"),
                dir.checkpoints().stream().map(p -> p.getFileName().toString()).toList());
        assertTrue(Files.exists(dir.directory().resolve("notes.txt")), "other files are left alone");
        assertTrue(Files.notExists(leftover), "temporary files of interrupted saves are cleaned up");

        Setup b = new Setup();
        TrainingCheckpoint.Restored r = dir.restoreLatest(b.ckpt).orElseThrow();
        assertEquals(5, r.step());
        assertArrayEquals(a.flat(), b.flat(), 0f);

        Path newest = dir.pathFor(5);
        try (RandomAccessFile raf = new RandomAccessFile(newest.toFile(), "rw")) {
            raf.setLength(raf.length() - 100); // the copy of the newest was cut short
        }
        Setup c = new Setup();
        r = dir.restoreLatest(c.ckpt).orElseThrow();
        assertEquals(4, r.step());
        assertEquals(40, r.extraLong("index"));
        assertArrayEquals(atStep4, c.flat(), 0f);
        assertEquals(1, r.warnings().size(), r.warnings().toString());
        assertTrue(r.warnings().get(0).contains("step-000005.ckpt"), r.warnings().get(0));

        flipByte(dir.pathFor(4), Files.size(dir.pathFor(4)) - 1);
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> dir.restoreLatest(new Setup().ckpt));
        assertTrue(e.getMessage().contains("all 2 checkpoints are corrupt"), e.getMessage());
    }
}
