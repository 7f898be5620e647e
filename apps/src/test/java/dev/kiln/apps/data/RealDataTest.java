package dev.kiln.apps.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.data.Batch;
import dev.kiln.data.Collate;
import dev.kiln.data.DataLoader;
import dev.kiln.data.LabeledImages;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks on the real data sets where {@code ./kiln data fetch} has put them; each test is skipped,
 * with the command to run, when its data set is absent (CI has no network).
 */
class RealDataTest {
    private static Path fetched(String name) {
        Path dir = DataCommand.root(null).resolve(name);
        assumeTrue(Files.isRegularFile(dir.resolve(Manifest.FILE)),
                () -> name + " is not fetched in " + dir + "; run ./kiln data fetch " + name);
        return dir;
    }

    @Test
    void fashionMnistVerifiesAndLoadsInShuffledBatches() throws Exception {
        Path dir = fetched("fashion-mnist");
        Map<String, Object> counts = Verifiers.fashionMnist(dir, 60000, 10000);
        assertEquals(List.of(1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L), counts.get("testPerClass"));
        LabeledImages test = LabeledImages.read(Verifiers.plainOrGz(dir, "t10k-images-idx3-ubyte"),
                Verifiers.plainOrGz(dir, "t10k-labels-idx1-ubyte"));
        try (DataLoader<Tensor[]> loader = DataLoader.builder(test, Collate.stack())
                .batchSize(256).shuffle(new Generator(0)).dropLast(true).prefetch(2).build()) {
            int batches = 0;
            for (Batch b : loader) {
                try (b) {
                    assertEquals(List.of(256, 28, 28), List.of(b.get(0).size(0), b.get(0).size(1), b.get(0).size(2)));
                    batches++;
                }
            }
            assertEquals(10000 / 256, batches);
        }
    }

    @Test
    void otherDataSetsVerify() throws Exception {
        for (DataSets.DataSet ds : DataSets.ALL) {
            Path dir = DataCommand.root(null).resolve(ds.name());
            if (Files.isRegularFile(dir.resolve(Manifest.FILE)) && !ds.name().equals("fashion-mnist")) {
                assertEquals(Manifest.read(dir).get("counts").toString(),
                        dev.kiln.data.io.JsonFiles.parse(dev.kiln.data.io.JsonFiles.write(ds.check().verify(dir)), "counts").toString(),
                        ds.name());
            }
        }
        fetched("brown");
    }
}
