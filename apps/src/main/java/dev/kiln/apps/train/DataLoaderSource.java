package dev.kiln.apps.train;

import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.optim.train.BatchSource;
import dev.kiln.tensor.random.Generator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link DataLoader} as the {@link BatchSource} of a training loop: its epochs are the loader's,
 * and its state is the loader's {@link DataLoader.State} as text ({@code epoch}, {@code position},
 * {@code shuffle} as {@code seed:offset:splits}), so a resumed run continues with the same
 * permutation at the same batch.
 */
public record DataLoaderSource<T>(DataLoader<T> loader) implements BatchSource<Batch> {
    @Override
    public Iterator<Batch> epoch() {
        return loader.iterator();
    }

    @Override
    public Map<String, String> state() {
        DataLoader.State s = loader.state();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epoch", Long.toString(s.epoch()));
        m.put("position", Integer.toString(s.position()));
        if (s.epochStart() != null) {
            Generator.State g = s.epochStart();
            m.put("shuffle", g.seed() + ":" + g.offset() + ":" + g.splits());
        }
        return m;
    }

    @Override
    public void restore(Map<String, String> state) {
        String epoch = state.get("epoch");
        String position = state.get("position");
        if (epoch == null || position == null) {
            throw new IllegalArgumentException("DataLoaderSource.restore: the checkpoint has no data-loader position (epoch,"
                    + " position), got " + state.keySet());
        }
        Generator.State start = null;
        String shuffle = state.get("shuffle");
        if (shuffle != null) {
            String[] p = shuffle.split(":");
            if (p.length != 3) {
                throw new IllegalArgumentException("DataLoaderSource.restore: shuffle state must be seed:offset:splits, got '"
                        + shuffle + "'");
            }
            start = new Generator.State(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]));
        }
        loader.restore(new DataLoader.State(Long.parseLong(epoch), Integer.parseInt(position), start));
    }
}
