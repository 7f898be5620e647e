package dev.kiln.apps.train;

import dev.kiln.optim.train.BatchSource;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link BatchSource} over epochs whose batch plans (index lists, length-bucketed batches) are
 * drawn one epoch after another from a seeded stream, e.g. {@link Batches#bucketed} with a
 * {@code java.util.Random}, whose state cannot be saved. The state is the epoch and the position
 * in it; {@link #restore} starts a fresh stream and draws the plans again up to that epoch, so a
 * resumed run sees the batches the uninterrupted run would have seen. Drawing a plan must be cheap
 * next to training an epoch on it, and the stream must depend only on how it was built.
 *
 * <p>Plans become micro-batches ({@code materialize}) only when handed out. Without {@code
 * endless} each {@link #epoch()} is one plan (for a loop that counts epochs); with it one iterator
 * runs through plan after plan (for a loop on a step budget), and {@link #epochIndex()} tells which
 * epoch the last batch came from.
 *
 * @param <P> a batch's plan
 * @param <B> the micro-batch made from it
 */
final class PlannedEpochs<P, B> implements BatchSource<B> {
    private final Supplier<Supplier<List<P>>> streams;
    private final Function<P, B> materialize;
    private final boolean endless;
    private Supplier<List<P>> stream;
    private List<P> plan;
    private long epoch;
    private int position;

    /**
     * @param streams makes a fresh stream of epoch plans (the same plans every time it is called)
     * @param materialize turns a plan into the micro-batch the trainer takes
     * @param endless whether one iterator runs through all epochs
     */
    PlannedEpochs(Supplier<Supplier<List<P>>> streams, Function<P, B> materialize, boolean endless) {
        this.streams = streams;
        this.materialize = materialize;
        this.endless = endless;
        start(0);
    }

    /** A fresh stream, advanced to epoch {@code target}'s plan. */
    private void start(long target) {
        stream = streams.get();
        plan = draw();
        for (long e = 0; e < target; e++) {
            plan = draw();
        }
        epoch = target;
        position = 0;
    }

    private List<P> draw() {
        List<P> p = stream.get();
        if (p.isEmpty()) {
            throw new IllegalStateException("PlannedEpochs: an epoch plan is empty (no training examples?)");
        }
        return p;
    }

    /** The plan of the current epoch (the first one before training). */
    List<P> currentPlan() {
        return plan;
    }

    /** The epoch the current plan belongs to, from 0. */
    long epochIndex() {
        return epoch;
    }

    private void nextEpochIfDone() {
        if (position == plan.size()) {
            plan = draw();
            epoch++;
            position = 0;
        }
    }

    @Override
    public Iterator<B> epoch() {
        nextEpochIfDone();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return endless || position < plan.size();
            }

            @Override
            public B next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("PlannedEpochs: epoch " + epoch + " is done");
                }
                nextEpochIfDone();
                return materialize.apply(plan.get(position++));
            }
        };
    }

    @Override
    public Map<String, String> state() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epoch", Long.toString(epoch));
        m.put("position", Integer.toString(position));
        return m;
    }

    @Override
    public void restore(Map<String, String> state) {
        String e = state.get("epoch");
        String p = state.get("position");
        if (e == null || p == null) {
            throw new IllegalArgumentException("PlannedEpochs.restore: the checkpoint has no batch position (epoch, position), got "
                    + state.keySet());
        }
        start(Long.parseLong(e));
        int pos = Integer.parseInt(p);
        if (pos < 0 || pos > plan.size()) {
            throw new IllegalArgumentException("PlannedEpochs.restore: position " + pos + " is outside epoch " + e + "'s "
                    + plan.size() + " batches (a run with other settings?)");
        }
        position = pos;
    }
}
