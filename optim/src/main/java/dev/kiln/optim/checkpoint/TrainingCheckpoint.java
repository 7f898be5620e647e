package dev.kiln.optim.checkpoint;

import dev.kiln.nn.Module;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.optim.LrScheduler;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything that decides how training continues, saved to and restored from one
 * {@link CheckpointFile}: the model's state dict, the optimizer's state tensors (moments,
 * per-parameter step counts) and each group's hyper-parameters, the scheduler's step, every
 * registered random generator (data order, dropout, ...), the step counter, and an opaque map of
 * extra strings (data-loader position, loss-scaler state, anything else the caller needs).
 *
 * <p>Register the live objects once, then {@link #save} and {@link #load} in place:
 *
 * <pre>{@code
 * TrainingCheckpoint ckpt = new TrainingCheckpoint(model, optimizer)
 *         .scheduler(scheduler).generator("data", shuffleGen).generator("dropout", dropoutGen);
 * ckpt.save(path, trainer.stepCount(), Map.of("epoch", "3", "index", "120"));
 * ...
 * TrainingCheckpoint.Restored r = ckpt.load(path);   // in a fresh process, same construction
 * trainer.setStepCount(r.step());
 * long epoch = r.extraLong("epoch");
 * }</pre>
 *
 * <p>File layout (safetensors): tensors {@code model.<name>} and {@code optimizer.<group>.<param>.<state>};
 * metadata {@code kiln.format}, {@code step}, {@code optimizer.class}, {@code optimizer.groups},
 * {@code optimizer.group.<i>.<name>} for every hyper-parameter of the group (lr, weight_decay,
 * betas, momentum, ...: {@link ParamGroup#options()}), {@code scheduler.step},
 * {@code rng.<name>} ({@code seed:offset:splits}), {@code extra.<key>}. Doubles are written with
 * {@link Double#toString}, which parses back to the same bits.
 *
 * <p>Loading first reads and verifies the whole file, so a corrupt or truncated file changes
 * nothing. A file that is intact but does not fit the registered objects (another model, a
 * generator missing) throws {@link IllegalArgumentException}; the model and optimizer each check
 * before they change, but when the model fits and the optimizer does not, the model is already
 * restored.
 */
public final class TrainingCheckpoint {
    /** The value of the {@code kiln.format} metadata entry. */
    public static final String FORMAT = "kiln.training/1";

    private static final String MODEL = "model.";
    private static final String OPTIMIZER = "optimizer.";
    private static final String RNG = "rng.";
    private static final String EXTRA = "extra.";

    private final Module model;
    private final Optimizer optimizer;
    private LrScheduler scheduler;
    private final Map<String, Generator> generators = new LinkedHashMap<>();

    public TrainingCheckpoint(Module model, Optimizer optimizer) {
        if (model == null || optimizer == null) {
            throw new IllegalArgumentException("TrainingCheckpoint: model and optimizer must not be null, got " + model
                    + " and " + optimizer);
        }
        this.model = model;
        this.optimizer = optimizer;
    }

    /** Registers the scheduler whose step count is saved and restored. */
    public TrainingCheckpoint scheduler(LrScheduler s) {
        this.scheduler = s;
        return this;
    }

    /** Registers a generator under {@code name} (letters, digits, '_', '-', '.'). */
    public TrainingCheckpoint generator(String name, Generator g) {
        if (name == null || !name.matches("[A-Za-z0-9_.\\-]+")) {
            throw new IllegalArgumentException("TrainingCheckpoint.generator: name must be letters, digits, '_', '-' or '.', got '"
                    + name + "'");
        }
        if (g == null) {
            throw new IllegalArgumentException("TrainingCheckpoint.generator('" + name + "'): generator is null");
        }
        if (generators.putIfAbsent(name, g) != null) {
            throw new IllegalArgumentException("TrainingCheckpoint.generator: '" + name + "' is already registered");
        }
        return this;
    }

    /**
     * What a load restored besides the registered objects.
     *
     * @param file the file it came from
     * @param step the step counter saved with it
     * @param extra the caller's extra entries
     * @param warnings anything the caller should know (generators in the file nobody registered,
     *     newer checkpoints skipped as corrupt)
     */
    public record Restored(Path file, long step, Map<String, String> extra, List<String> warnings) {
        public Restored {
            extra = Map.copyOf(extra);
            warnings = List.copyOf(warnings);
        }

        /** The extra entry {@code key} as a long. */
        public long extraLong(String key) {
            String v = extra.get(key);
            if (v == null) {
                throw new IllegalArgumentException("checkpoint " + file + " has no extra entry '" + key + "'; it has "
                        + extra.keySet());
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("checkpoint " + file + ": extra entry '" + key + "' = '" + v
                        + "' is not a long", e);
            }
        }

        Restored withWarnings(List<String> more) {
            List<String> all = new ArrayList<>(more);
            all.addAll(warnings);
            return new Restored(file, step, extra, all);
        }
    }

    /**
     * Writes the current state with {@code step} and {@code extra} (may be empty) to {@code file},
     * atomically, with a checksum.
     */
    public void save(Path file, long step, Map<String, String> extra) throws IOException {
        if (step < 0) {
            throw new IllegalArgumentException("TrainingCheckpoint.save: step must be >= 0, got " + step);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> tensors.put(MODEL + k, v));
        Map<String, Tensor> optState = optimizer.stateTensors();
        optState.forEach((k, v) -> tensors.put(OPTIMIZER + k, v));

        Map<String, String> meta = new TreeMap<>();
        meta.put("kiln.format", FORMAT);
        meta.put("step", Long.toString(step));
        meta.put("optimizer.class", optimizer.getClass().getName());
        List<ParamGroup> groups = optimizer.paramGroups();
        meta.put("optimizer.groups", Integer.toString(groups.size()));
        for (int i = 0; i < groups.size(); i++) {
            for (Map.Entry<String, Object> o : groups.get(i).options().entrySet()) {
                meta.put("optimizer.group." + i + "." + o.getKey(), o.getValue().toString());
            }
        }
        if (scheduler != null) {
            meta.put("scheduler.step", Long.toString(scheduler.stepCount()));
        }
        generators.forEach((name, g) -> {
            Generator.State s = g.state();
            meta.put(RNG + name, s.seed() + ":" + s.offset() + ":" + s.splits());
        });
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("TrainingCheckpoint.save: extra entry " + e.getKey() + "=" + e.getValue()
                        + " has a null key or value");
            }
            meta.put(EXTRA + e.getKey(), e.getValue());
        }
        try {
            CheckpointFile.write(file, tensors, meta);
        } finally {
            // stateTensors() made fresh scalar tensors for the step counts; the rest are the live state.
            optState.forEach((k, v) -> {
                if (k.endsWith(".step")) {
                    v.close();
                }
            });
        }
    }

    /**
     * Verifies {@code file} and restores every registered object from it, in place.
     *
     * @throws CorruptCheckpointException when the file is truncated, malformed or fails its checksum
     * @throws IllegalArgumentException when it does not fit the registered objects
     */
    public Restored load(Path file) throws IOException {
        try (Safetensors.Checkpoint c = CheckpointFile.read(file)) {
            Map<String, String> meta = c.metadata();
            String format = meta.get("kiln.format");
            if (!FORMAT.equals(format)) {
                throw new IllegalArgumentException("checkpoint " + file + ": format '" + format + "', expected '" + FORMAT + "'");
            }
            String optClass = meta.get("optimizer.class");
            if (!optimizer.getClass().getName().equals(optClass)) {
                throw new IllegalArgumentException("checkpoint " + file + " holds the state of a " + optClass
                        + ", not of a " + optimizer.getClass().getName());
            }
            List<ParamGroup> groups = optimizer.paramGroups();
            int savedGroups = (int) parseLong(file, meta, "optimizer.groups");
            if (savedGroups != groups.size()) {
                throw new IllegalArgumentException("checkpoint " + file + " has " + savedGroups
                        + " parameter groups, the optimizer " + groups.size());
            }
            // Every hyper-parameter the optimizer has; lr and weight_decay are required (files
            // from before per-group options carry only those two), the others keep their value when absent.
            List<Map<String, Object>> options = new ArrayList<>();
            for (int i = 0; i < savedGroups; i++) {
                Map<String, Object> o = new LinkedHashMap<>();
                for (Map.Entry<String, Object> e : groups.get(i).options().entrySet()) {
                    String key = "optimizer.group." + i + "." + e.getKey();
                    boolean required = e.getKey().equals(ParamGroup.LR) || e.getKey().equals(ParamGroup.WEIGHT_DECAY);
                    if (!required && !meta.containsKey(key)) {
                        continue;
                    }
                    o.put(e.getKey(), e.getValue() instanceof Boolean ? parseBoolean(file, meta, key) : parseDouble(file, meta, key));
                }
                options.add(o);
            }
            long step = parseLong(file, meta, "step");
            long schedStep = -1;
            if (scheduler != null) {
                schedStep = parseLong(file, meta, "scheduler.step");
            }
            Map<String, Generator.State> rng = new LinkedHashMap<>();
            for (String name : generators.keySet()) {
                rng.put(name, parseGenerator(file, meta, name));
            }
            List<String> warnings = new ArrayList<>();
            Map<String, String> extra = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : meta.entrySet()) {
                if (e.getKey().startsWith(EXTRA)) {
                    extra.put(e.getKey().substring(EXTRA.length()), e.getValue());
                } else if (e.getKey().startsWith(RNG) && !generators.containsKey(e.getKey().substring(RNG.length()))) {
                    warnings.add("checkpoint " + file + " has generator '" + e.getKey().substring(RNG.length())
                            + "', which nobody registered: not restored");
                }
            }
            Map<String, Tensor> modelState = new LinkedHashMap<>();
            Map<String, Tensor> optState = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
                if (e.getKey().startsWith(MODEL)) {
                    modelState.put(e.getKey().substring(MODEL.length()), e.getValue());
                } else if (e.getKey().startsWith(OPTIMIZER)) {
                    optState.put(e.getKey().substring(OPTIMIZER.length()), e.getValue());
                } else {
                    throw new IllegalArgumentException("checkpoint " + file + ": unexpected tensor '" + e.getKey() + "'");
                }
            }

            // Everything parsed: now change the live objects.
            try {
                model.loadStateDict(modelState, true);
                optimizer.loadStateTensors(optState);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("checkpoint " + file + ": " + e.getMessage(), e);
            }
            if (scheduler != null) {
                scheduler.setStepCount(schedStep);
            }
            // After the scheduler: the saved values are what the step ran with, whatever set them.
            for (int i = 0; i < savedGroups; i++) {
                ParamGroup g = groups.get(i);
                options.get(i).forEach((k, v) -> {
                    if (v instanceof Boolean b) {
                        g.set(k, b);
                    } else {
                        g.set(k, (Double) v);
                    }
                });
            }
            rng.forEach((name, s) -> generators.get(name).restore(s));
            return new Restored(file, step, extra, warnings);
        }
    }

    private static String require(Path file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException("checkpoint " + file + " has no metadata entry '" + key + "'");
        }
        return v;
    }

    private static long parseLong(Path file, Map<String, String> meta, String key) {
        String v = require(file, meta, key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint " + file + ": '" + key + "' = '" + v + "' is not an integer", e);
        }
    }

    private static double parseDouble(Path file, Map<String, String> meta, String key) {
        String v = require(file, meta, key);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint " + file + ": '" + key + "' = '" + v + "' is not a number", e);
        }
    }

    private static boolean parseBoolean(Path file, Map<String, String> meta, String key) {
        String v = require(file, meta, key);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("checkpoint " + file + ": '" + key + "' = '" + v + "' is not true or false");
        }
        return Boolean.parseBoolean(v);
    }

    private static Generator.State parseGenerator(Path file, Map<String, String> meta, String name) {
        String key = RNG + name;
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException("checkpoint " + file + " has no state for generator '" + name
                    + "' (registered here but not when it was saved)");
        }
        String[] parts = v.split(":");
        try {
            if (parts.length != 3) {
                throw new NumberFormatException("expected seed:offset:splits");
            }
            return new Generator.State(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("checkpoint " + file + ": '" + key + "' = '" + v
                    + "' is not a generator state (seed:offset:splits)", e);
        }
    }
}
