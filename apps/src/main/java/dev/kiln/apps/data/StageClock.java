package dev.kiln.apps.data;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Busy time and input bytes of the stages of a pipelined run. Stages overlap (workers clean while
 * the consumer deduplicates), so a stage's wall time is not defined; what is measured is the time
 * spent inside it, summed over threads. Bytes divided by that time is the stage's throughput on
 * one thread: the number that says which stage to optimise. Thread-safe.
 */
final class StageClock {
    private final Map<String, LongAdder[]> stages = new LinkedHashMap<>();

    /** Registers stages in display order (they are also created on first use). */
    StageClock(String... names) {
        for (String n : names) {
            slot(n);
        }
    }

    private synchronized LongAdder[] slot(String name) {
        return stages.computeIfAbsent(name, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
    }

    /** Adds {@code nanos} of busy time and {@code bytes} of input to stage {@code name}. */
    void add(String name, long nanos, long bytes) {
        LongAdder[] s = slot(name);
        s[0].add(nanos);
        s[1].add(bytes);
    }

    /** One stage's totals. */
    record Totals(String name, double seconds, long bytes) {
        /** Megabytes (10^6 bytes) per busy second; 0 when no time was measured. */
        double mbPerSecond() {
            return seconds > 0 ? bytes / 1e6 / seconds : 0;
        }
    }

    /** The stages in registration order. */
    synchronized java.util.List<Totals> totals() {
        return stages.entrySet().stream()
                .map(e -> new Totals(e.getKey(), e.getValue()[0].sum() / 1e9, e.getValue()[1].sum()))
                .toList();
    }
}
