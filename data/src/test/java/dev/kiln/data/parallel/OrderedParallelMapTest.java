package dev.kiln.data.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OrderedParallelMapTest {
    private static List<Integer> drain(CloseableIterator<Integer> it) {
        List<Integer> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void resultsComeBackInInputOrderAtEveryThreadCountAndBatchSize() {
        List<Integer> input = IntStream.range(0, 1000).boxed().toList();
        List<Integer> expected = input.stream().map(i -> i * i).toList();
        for (int threads : new int[] {1, 2, 3, 8}) {
            for (int batch : new int[] {1, 7, 64, 5000}) {
                // uneven work so that later batches often finish before earlier ones
                List<Integer> got = drain(OrderedParallelMap.map(input.iterator(), i -> {
                    if (i % 97 == 0) {
                        busyWait(200_000);
                    }
                    return i * i;
                }, threads, batch));
                assertEquals(expected, got, "threads=" + threads + " batch=" + batch);
            }
        }
    }

    private static void busyWait(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    @Test
    void emptyInputGivesNothing() {
        assertEquals(List.of(), drain(OrderedParallelMap.map(List.<Integer>of().iterator(), i -> i, 4, 8)));
    }

    @Test
    void theSourceIsReadLazilyWithBoundedLookAhead() {
        AtomicInteger pulled = new AtomicInteger();
        Iterator<Integer> endless = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Integer next() {
                return pulled.getAndIncrement();
            }
        };
        try (OrderedParallelMap<Integer, Integer> m = OrderedParallelMap.map(endless, i -> i + 1, 2, 10)) {
            for (int i = 0; i < 5; i++) {
                assertEquals(i + 1, m.next());
            }
            // at most 2 x threads batches in flight
            assertTrue(pulled.get() <= 4 * 10, "pulled " + pulled.get());
        }
    }

    @Test
    void anExceptionInTheFunctionIsRethrownAsIs() {
        IllegalStateException boom = new IllegalStateException("bad record 123");
        OrderedParallelMap<Integer, Integer> m = OrderedParallelMap.map(IntStream.range(0, 500).boxed().iterator(), i -> {
            if (i == 123) {
                throw boom;
            }
            return i;
        }, 3, 10);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
            while (m.hasNext()) {
                m.next();
            }
        });
        assertSame(boom, thrown);
        m.close();
    }

    @Test
    void closeStopsTheWorkersAndLaterUseIsAnError() {
        OrderedParallelMap<Integer, Integer> m = OrderedParallelMap.map(IntStream.range(0, 100).boxed().iterator(), i -> i, 2, 4);
        assertTrue(m.hasNext());
        m.close();
        m.close(); // idempotent
        assertThrows(IllegalStateException.class, m::hasNext);
    }

    @Test
    void closingTheLastStageClosesTheChain() {
        OrderedParallelMap<Integer, Integer> first = OrderedParallelMap.map(IntStream.range(0, 100).boxed().iterator(), i -> i, 2, 4);
        OrderedParallelMap<Integer, Integer> second = OrderedParallelMap.map(first.filter(i -> i % 2 == 0), i -> i, 2, 4);
        assertEquals(0, second.next());
        second.close();
        assertThrows(IllegalStateException.class, first::hasNext);
    }

    @Test
    void badArgumentsAreNamed() {
        Iterator<Integer> src = List.of(1).iterator();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OrderedParallelMap.map(src, i -> i, 0, 1))
                .getMessage().contains("threads must be >= 1, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OrderedParallelMap.map(src, i -> i, 1, 0))
                .getMessage().contains("batchSize must be >= 1, got 0"));
    }

    @Test
    void filterAndMapCompose() {
        List<Integer> got = drain(OrderedParallelMap.map(IntStream.range(0, 50).boxed().iterator(), i -> i, 2, 3)
                .filter(i -> i % 5 == 0).map(i -> i / 5));
        assertEquals(IntStream.range(0, 10).boxed().toList(), got);
        CloseableIterator<Integer> empty = CloseableIterator.of(List.<Integer>of().iterator());
        assertFalse(empty.filter(i -> true).hasNext());
    }
}
