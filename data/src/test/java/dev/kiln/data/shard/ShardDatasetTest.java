package dev.kiln.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardDatasetTest {
    @TempDir
    Path dir;

    /** {@code count} shards of {@code size} tokens whose token at global position p is p % vocab. */
    private Path shards(String name, int vocab, int size, int count) throws IOException {
        Path out = dir.resolve(name);
        try (ShardWriter w = ShardWriter.create(out, "positions", vocab, -1, size)) {
            int[] ids = new int[size * count];
            for (int p = 0; p < ids.length; p++) {
                ids[p] = p % vocab;
            }
            w.addDocument(ids); // one long document, cut into shards by the writer
            assertEquals(count, w.finish().shards().size());
        }
        return out;
    }

    /**
     * Shards of the given sizes (p % vocab at global position p), written one writer run at a
     * time and listed in one manifest by hand.
     */
    private Path unequalShards(String name, int vocab, long... sizes) throws IOException {
        Path out = dir.resolve(name);
        Files.createDirectories(out);
        List<ShardManifest.Shard> all = new ArrayList<>();
        long p = 0;
        ShardFormat.TokenType type = ShardFormat.TokenType.forVocabulary(vocab);
        for (int s = 0; s < sizes.length; s++) {
            Path part = dir.resolve(name + "-part" + s);
            try (ShardWriter w = ShardWriter.create(part, "positions", vocab, -1, sizes[s])) {
                int[] ids = new int[(int) sizes[s]];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = (int) (p++ % vocab);
                }
                w.addDocument(ids);
                ShardManifest.Shard shard = w.finish().shards().getFirst();
                String file = String.format("shard-%05d.bin", s);
                Files.move(part.resolve(shard.file()), out.resolve(file));
                all.add(new ShardManifest.Shard(file, shard.tokens(), shard.bytes(), shard.sha256()));
            }
        }
        new ShardManifest("positions", vocab, type, -1, sizes.length, all).write(out);
        return out;
    }

    @Test
    void tokensReadBackAcrossShards() throws IOException {
        Path out = shards("even", 50_000, 100, 3);
        try (ShardDataset d = ShardDataset.open(out, ShardDataset.Verify.CHECKSUMS)) {
            assertEquals(300, d.totalTokens());
            assertEquals(3, d.shardCount());
            for (long p = 0; p < 300; p++) {
                assertEquals(p, d.token(p));
            }
            long[] span = new long[20];
            d.read(90, span, 0, 20); // crosses from shard 0 into shard 1
            for (int i = 0; i < 20; i++) {
                assertEquals(90 + i, span[i]);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> d.token(300));
            assertThrows(IndexOutOfBoundsException.class, () -> d.read(290, span, 0, 20));
        }
    }

    @Test
    void windowsStayInOneShardAndCoverEveryStartUniformly() throws IOException {
        long[] sizes = {7, 3, 12, 2};
        Path out = unequalShards("uneven", 1000, sizes);
        int context = 2; // windows of 3 tokens
        try (ShardDataset d = ShardDataset.open(out)) {
            WindowSampler sampler = new WindowSampler(d, context, new Generator(42));
            assertEquals(5 + 1 + 10, sampler.windowCount());
            assertEquals(16, d.windowCount(3));
            // the valid starts, listed by hand: shard 0 holds positions 0..6, shard 1 7..9, shard 2 10..21, shard 3 22..23
            List<Long> valid = new ArrayList<>(List.of(0L, 1L, 2L, 3L, 4L, 7L));
            for (long p = 10; p <= 19; p++) {
                valid.add(p);
            }
            for (int w = 0; w < 16; w++) {
                assertEquals(valid.get(w), d.windowStart(w, 3));
                assertEquals(valid.get(w), sampler.startOf(w));
            }
            int draws = 32_000;
            long[] counts = new long[24];
            for (int batch = 0; batch < draws / 64; batch++) {
                long[] flat = sampler.nextBatchArray(64);
                for (int b = 0; b < 64; b++) {
                    long start = flat[b * 3];
                    assertTrue(valid.contains(start), "start " + start + " is not a valid window start");
                    assertEquals(start + 1, flat[b * 3 + 1]);
                    assertEquals(start + 2, flat[b * 3 + 2]);
                    counts[(int) start]++;
                }
            }
            double expected = draws / 16.0;
            double chi2 = 0;
            for (long s : valid) {
                chi2 += (counts[(int) s] - expected) * (counts[(int) s] - expected) / expected;
            }
            assertTrue(chi2 < 37.7, "chi-square " + chi2 + " over 15 degrees of freedom (p = 0.001 at 37.7): " + Arrays.toString(counts));
        }
    }

    @Test
    void batchesAreSeededAndResumable() throws IOException {
        Path out = unequalShards("seeded", 300, 40, 25, 60);
        try (ShardDataset d = ShardDataset.open(out)) {
            WindowSampler a = new WindowSampler(d, 8, new Generator(7));
            WindowSampler b = new WindowSampler(d, 8, new Generator(7));
            Generator.State saved = a.generator().state();
            long[] first = a.nextBatchArray(4);
            assertArrayEquals(first, b.nextBatchArray(4));
            a.generator().restore(saved);
            try (Tensor t = a.nextBatch(4)) {
                assertEquals(DType.I64, t.dtype());
                assertArrayEquals(new int[] {4, 9}, t.shape().toArray());
                assertArrayEquals(first, t.toLongArray());
            }
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> new WindowSampler(d, 60, new Generator(1)));
            assertEquals("WindowSampler: no shard holds a window of 61 tokens (context 60 + 1); the longest of 3 shards has 60",
                    tooLong.getMessage());
        }
    }

    @Test
    void corruptedTruncatedAndForeignShardsAreDetected() throws IOException {
        Path out = shards("bad", 1000, 100, 2);
        Path shard1 = out.resolve("shard-00001.bin");
        byte[] good = Files.readAllBytes(shard1);
        String expectedSha = ShardManifest.read(out).shards().get(1).sha256();

        byte[] flipped = good.clone();
        flipped[100] ^= 0x01; // a payload byte: headers still agree
        Files.write(shard1, flipped);
        try (ShardDataset d = ShardDataset.open(out)) { // HEADERS does not read the payload
            MalformedDataException e = assertThrows(MalformedDataException.class, d::verifyChecksums);
            assertTrue(e.getMessage().startsWith(shard1 + ": SHA-256 mismatch: the manifest says " + expectedSha
                    + ", the file hashes to "), e.getMessage());
        }
        assertThrows(MalformedDataException.class, () -> ShardDataset.open(out, ShardDataset.Verify.CHECKSUMS));

        Files.write(shard1, Arrays.copyOf(good, good.length - 3));
        MalformedDataException truncated = assertThrows(MalformedDataException.class, () -> ShardDataset.open(out));
        assertEquals(shard1 + ": 229 bytes, expected 232 (32-byte header + 100 tokens x 2 bytes): truncated?", truncated.getMessage());

        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 'X';
        Files.write(shard1, wrongMagic);
        MalformedDataException magic = assertThrows(MalformedDataException.class, () -> ShardDataset.open(out));
        assertTrue(magic.getMessage().startsWith(shard1 + ": not a Kiln token shard: magic is 58494c4e544f4b00"), magic.getMessage());

        byte[] wrongCount = good.clone();
        wrongCount[16] = 99; // header token count 99, manifest 100
        Files.write(shard1, wrongCount);
        MalformedDataException count = assertThrows(MalformedDataException.class, () -> ShardDataset.open(out));
        assertEquals(shard1 + ": header says 99 uint16 tokens of a 1000-token vocabulary, the manifest 100 uint16 tokens of 1000",
                count.getMessage());

        Files.delete(shard1);
        assertTrue(assertThrows(java.nio.file.NoSuchFileException.class, () -> ShardDataset.open(out)).getMessage()
                .contains("shard listed in manifest.json is missing"));

        Files.write(shard1, good);
        Files.writeString(out.resolve("manifest.json"), Files.readString(out.resolve("manifest.json"))
                .replace("\"total_tokens\": 200", "\"total_tokens\": 201"), StandardOpenOption.TRUNCATE_EXISTING);
        assertTrue(assertThrows(MalformedDataException.class, () -> ShardDataset.open(out)).getMessage()
                .endsWith("total_tokens is 201 but the shards hold 200"));
    }

    @Test
    void closedDatasetRefusesReads() throws IOException {
        Path out = shards("closed", 1000, 10, 1);
        ShardDataset d = ShardDataset.open(out);
        d.close();
        assertThrows(IllegalStateException.class, () -> d.token(0));
    }
}
