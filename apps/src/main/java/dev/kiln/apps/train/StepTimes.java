package dev.kiln.apps.train;

import dev.kiln.optim.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Where training steps' time goes: waiting for data, forward + loss, backward, optimizer (summed over steps). */
final class StepTimes {
    private static final List<String> PHASES = List.of("data", "forward", "backward", "optimizer");
    private final long[] nanos = new long[4];

    void add(long data, long forward, long backward, long optimizer) {
        nanos[0] += data;
        nanos[1] += forward;
        nanos[2] += backward;
        nanos[3] += optimizer;
    }

    /** Adds one step: {@code dataNanos} waiting for its batches, the rest as the trainer measured it. */
    void add(long dataNanos, Trainer.Phases p) {
        add(dataNanos, p.forwardNanos(), p.backwardNanos(), p.optimizerNanos());
    }

    Map<String, Object> fractions() {
        long total = Math.max(1, nanos[0] + nanos[1] + nanos[2] + nanos[3]);
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            m.put(PHASES.get(i), Math.round(1000.0 * nanos[i] / total) / 1000.0);
        }
        return m;
    }

    String describe() {
        long total = Math.max(1, nanos[0] + nanos[1] + nanos[2] + nanos[3]);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            sb.append(i == 0 ? "" : ", ").append(PHASES.get(i))
                    .append(String.format(Locale.ROOT, " %.1f%%", 100.0 * nanos[i] / total));
        }
        return sb.toString();
    }
}
