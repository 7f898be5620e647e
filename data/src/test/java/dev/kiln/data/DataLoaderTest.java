package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** Example i: features {i, 10i, 100i} (F32 [3]) and label i (I64 scalar). */
    static Dataset<Tensor[]> numbers(int n) {
        return new Dataset<>() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Tensor[] get(int i) {
                Objects.checkIndex(i, n);
                return new Tensor[] {
                    Tensor.fromArray(new float[] {i, 10 * i, 100 * i}, 3),
                    Tensor.fromArray(new long[] {i})
                };
            }
        };
    }

    private record Seen(long[] labels, float[] features) {}

    /** Reads a batch's values and closes it. */
    private static Seen take(Batch b) {
        try (b) {
            return new Seen(b.get(1).toLongArray(), b.get(0).toFloatArray());
        }
    }

    private static List<long[]> epoch(DataLoader<Tensor[]> loader) {
        List<long[]> out = new ArrayList<>();
        for (Batch b : loader) {
            out.add(take(b).labels());
        }
        return out;
    }

    @Test
    void sequentialBatchesStackExamplesAndKeepTheShortLastBatch() {
        try (DataLoader<Tensor[]> loader = DataLoader.builder(numbers(10), Collate.stack()).batchSize(4).build()) {
            assertEquals(3, loader.batchesPerEpoch());
            List<Batch> batches = new ArrayList<>();
            loader.forEach(batches::add);
            assertEquals(3, batches.size());
            Batch first = batches.getFirst();
            assertEquals(List.of(4, 3), List.of(first.get(0).size(0), first.get(0).size(1)));
            assertEquals(DType.I64, first.get(1).dtype());
            assertArrayEquals(new float[] {0, 0, 0, 1, 10, 100, 2, 20, 200, 3, 30, 300}, first.get(0).toFloatArray());
            assertArrayEquals(new long[] {8, 9}, batches.get(2).get(1).toLongArray());
            assertArrayEquals(new int[] {8, 9}, batches.get(2).indices());
            batches.forEach(Batch::close);
        }
    }

    @Test
    void dropLastSkipsTheShortBatch() {
        try (DataLoader<Tensor[]> loader = DataLoader.builder(numbers(10), Collate.stack())
                .batchSize(4).dropLast(true).build()) {
            assertEquals(2, loader.batchesPerEpoch());
            assertEquals(2, epoch(loader).size());
        }
    }

    @Test
    void shuffleIsAPermutationReproducibleFromTheSeedAndDifferentEachEpoch() {
        int n = 103;
        List<List<long[]>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (DataLoader<Tensor[]> loader = DataLoader.builder(numbers(n), Collate.stack())
                    .batchSize(10).shuffle(new Generator(7)).build()) {
                List<long[]> all = new ArrayList<>();
                for (int e = 0; e < 3; e++) {
                    List<long[]> ep = epoch(loader);
                    long[] flat = ep.stream().flatMapToLong(Arrays::stream).toArray();
                    long[] sorted = flat.clone();
                    Arrays.sort(sorted);
                    long[] identity = new long[n];
                    Arrays.setAll(identity, i -> i);
                    assertArrayEquals(identity, sorted, "epoch " + e + " is a permutation");
                    assertFalse(Arrays.equals(identity, flat), "epoch " + e + " is shuffled");
                    all.add(flat);
                    assertEquals(e, loader.epoch());
                }
                assertFalse(Arrays.equals(all.get(0), all.get(1)), "epochs differ");
                runs.add(all);
            }
        }
        for (int e = 0; e < 3; e++) {
            assertArrayEquals(runs.get(0).get(e), runs.get(1).get(e), "same seed, same order, epoch " + e);
        }
        try (DataLoader<Tensor[]> other = DataLoader.builder(numbers(n), Collate.stack())
                .batchSize(10).shuffle(new Generator(8)).build()) {
            long[] flat = epoch(other).stream().flatMapToLong(Arrays::stream).toArray();
            assertFalse(Arrays.equals(runs.get(0).get(0), flat), "another seed, another order");
        }
    }

    @Test
    void stateRestoresMidEpochBitIdenticallyInANewLoader() {
        Dataset<Tensor[]> data = numbers(50);
        List<Seen> reference = new ArrayList<>();
        DataLoader.State checkpoint = null;
        try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                .batchSize(6).shuffle(new Generator(1234)).prefetch(2).build()) {
            // 1 full epoch, then 3 batches of the next, checkpoint, then the rest and one more epoch.
            epoch(loader);
            var it = loader.iterator();
            for (int i = 0; i < 3; i++) {
                take(it.next());
            }
            checkpoint = loader.state();
            assertEquals(1, checkpoint.epoch());
            assertEquals(3, checkpoint.position());
            for (Batch b : loader) {
                reference.add(take(b));
            }
            for (Batch b : loader) {
                reference.add(take(b));
            }
        }
        // A loader with another seed, restored from the checkpoint: the same batches, bit for bit.
        try (DataLoader<Tensor[]> resumed = DataLoader.builder(data, Collate.stack())
                .batchSize(6).shuffle(new Generator(99)).build()) {
            resumed.restore(checkpoint);
            List<Seen> got = new ArrayList<>();
            for (Batch b : resumed) {
                got.add(take(b));
            }
            assertEquals(2, resumed.epoch() + 1);
            for (Batch b : resumed) {
                got.add(take(b));
            }
            assertEquals(reference.size(), got.size());
            assertEquals(9 - 3 + 9, got.size());
            for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(reference.get(i).labels(), got.get(i).labels(), "batch " + i);
                assertArrayEquals(reference.get(i).features(), got.get(i).features(), "batch " + i);
            }
        }
    }

    @Test
    void restoringAStateAtTheEndOfAnEpochStartsTheNextOne() {
        Dataset<Tensor[]> data = numbers(20);
        List<long[]> second;
        DataLoader.State endOfFirst;
        try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                .batchSize(5).shuffle(new Generator(3)).build()) {
            epoch(loader);
            endOfFirst = loader.state();
            second = epoch(loader);
        }
        try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                .batchSize(5).shuffle(new Generator(3)).build()) {
            loader.restore(endOfFirst);
            List<long[]> again = epoch(loader);
            assertEquals(second.size(), again.size());
            for (int i = 0; i < again.size(); i++) {
                assertArrayEquals(second.get(i), again.get(i));
            }
        }
    }

    @Test
    void prefetchOnAndOffGiveIdenticalBatches() {
        Dataset<Tensor[]> data = numbers(77);
        List<List<Seen>> runs = new ArrayList<>();
        for (int prefetch : new int[] {0, 1, 3}) {
            try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                    .batchSize(8).shuffle(new Generator(5)).prefetch(prefetch).build()) {
                List<Seen> seen = new ArrayList<>();
                for (int e = 0; e < 2; e++) {
                    for (Batch b : loader) {
                        seen.add(take(b));
                    }
                }
                runs.add(seen);
            }
        }
        for (int r = 1; r < runs.size(); r++) {
            assertEquals(runs.get(0).size(), runs.get(r).size());
            for (int i = 0; i < runs.get(0).size(); i++) {
                assertArrayEquals(runs.get(0).get(i).labels(), runs.get(r).get(i).labels());
                assertArrayEquals(runs.get(0).get(i).features(), runs.get(r).get(i).features());
            }
        }
    }

    @Test
    void prefetchBuildsOnAnotherThreadAndStaysBounded() throws Exception {
        Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger reads = new AtomicInteger();
        Dataset<Tensor[]> data = numbers(100).map(ex -> {
            threads.add(Thread.currentThread().getName());
            reads.incrementAndGet();
            return ex;
        });
        try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                .batchSize(1).prefetch(3).build()) {
            var it = loader.iterator();
            take(it.next());
            Thread.sleep(200);
            // 1 consumed + 3 queued + at most 1 in the worker's hands
            assertTrue(reads.get() <= 5, "read " + reads.get() + " examples ahead with prefetch 3");
        }
        assertFalse(threads.contains(Thread.currentThread().getName()), threads.toString());
        assertTrue(threads.stream().allMatch(t -> t.startsWith("kiln-data-prefetch")), threads.toString());
    }

    @Test
    void closeStopsThePrefetchThread() throws Exception {
        DataLoader<Tensor[]> loader = DataLoader.builder(numbers(1000), Collate.stack()).batchSize(2).prefetch(2).build();
        var it = loader.iterator();
        take(it.next());
        assertTrue(prefetchThreads() >= 1);
        loader.close();
        assertEquals(0, prefetchThreads());
        assertThrows(IllegalStateException.class, it::next);
        assertThrows(IllegalStateException.class, loader::iterator);
    }

    private static long prefetchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("kiln-data-prefetch") && t.isAlive()).count();
    }

    @Test
    void aFailingDatasetSurfacesInTheConsumerWithItsCause() {
        for (int prefetch : new int[] {0, 2}) {
            Dataset<Tensor[]> data = numbers(20).map(ex -> {
                if (ex[1].item() == 13) {
                    throw new IllegalStateException("example 13 is corrupt");
                }
                return ex;
            });
            try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                    .batchSize(5).prefetch(prefetch).build()) {
                var it = loader.iterator();
                take(it.next());
                take(it.next()); // batches before the failure arrive normally
                DataLoaderException e = assertThrows(DataLoaderException.class, it::next);
                assertEquals(IllegalStateException.class, e.getCause().getClass(), "prefetch " + prefetch);
                assertEquals("example 13 is corrupt", e.getCause().getMessage());
                assertTrue(e.getMessage().contains("batch 2 of epoch 0"), e.getMessage());
                assertTrue(e.getMessage().contains("[10, 11, 12, 13, 14]"), e.getMessage());
                assertEquals(prefetch > 0, e.getMessage().contains("prefetch thread"), e.getMessage());
                assertEquals(2, loader.position(), "the failed batch is not consumed");
                // retrying fails again at the same place, and does not hang
                assertThrows(DataLoaderException.class, it::next);
            }
        }
    }

    @Test
    void batchesEscapeTheConsumersScopeAndTemporariesAreFreed() {
        List<Tensor> examples = new ArrayList<>();
        Dataset<Tensor[]> data = numbers(8).map(ex -> {
            examples.addAll(List.of(ex));
            return ex;
        });
        for (int prefetch : new int[] {0, 2}) {
            examples.clear();
            List<Batch> kept = new ArrayList<>();
            try (DataLoader<Tensor[]> loader = DataLoader.builder(data, Collate.stack())
                    .batchSize(4).prefetch(prefetch).build()) {
                try (TensorScope scope = TensorScope.open()) {
                    for (Batch b : loader) {
                        kept.add(b);
                    }
                    assertEquals(0, scope.size(), "no batch tensor is registered with the consumer's scope");
                }
            }
            for (Batch b : kept) {
                assertFalse(b.get(0).isClosed(), "the scope did not close the batch");
                assertEquals(4, b.get(0).size(0));
                b.close();
                assertTrue(b.get(0).isClosed());
            }
            assertEquals(16, examples.size());
            assertTrue(examples.stream().allMatch(Tensor::isClosed), "per-example tensors are closed after collation");
        }
    }

    @Test
    void supersededIteratorsAndBadArgumentsAreRejected() {
        try (DataLoader<Tensor[]> loader = DataLoader.builder(numbers(10), Collate.stack()).batchSize(3).build()) {
            var a = loader.iterator();
            var b = loader.iterator();
            assertThrows(IllegalStateException.class, a::hasNext);
            assertTrue(b.hasNext());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loader.restore(new DataLoader.State(0, 0, new Generator(1).state())));
            assertTrue(e.getMessage().contains("with shuffling"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> loader.restore(new DataLoader.State(0, 5, null)));
            assertTrue(e.getMessage().contains("position 5"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbers(1), Collate.stack()).batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbers(1), Collate.stack()).prefetch(-1));
    }

    @Test
    void stackRejectsExamplesOfDifferentShapesNamingThem() {
        Dataset<Tensor[]> ragged = Dataset.of(List.of(
                new Tensor[] {Tensor.zeros(3)}, new Tensor[] {Tensor.zeros(3)}, new Tensor[] {Tensor.zeros(4)}));
        try (DataLoader<Tensor[]> loader = DataLoader.builder(ragged, Collate.stack()).batchSize(3).build()) {
            DataLoaderException e = assertThrows(DataLoaderException.class, () -> loader.iterator().next());
            assertTrue(e.getCause().getMessage().contains("field 0 of example 2"), e.getCause().getMessage());
        }
    }

    @Test
    void customCollateAndSubset() {
        Dataset<String> words = Dataset.subset(Dataset.of(List.of("a", "bb", "ccc", "dddd", "eeeee")), 1, 5);
        Collate<String> lengths = ex -> List.of(Tensor.fromArray(ex.stream().mapToLong(String::length).toArray(), ex.size()));
        try (DataLoader<String> loader = DataLoader.builder(words, lengths).batchSize(3).build()) {
            List<long[]> got = new ArrayList<>();
            for (Batch b : loader) {
                got.add(take1(b));
            }
            assertArrayEquals(new long[] {2, 3, 4}, got.get(0));
            assertArrayEquals(new long[] {5}, got.get(1));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> Dataset.subset(words, 2, 9));
    }

    private static long[] take1(Batch b) {
        try (b) {
            return b.get(0).toLongArray();
        }
    }
}
