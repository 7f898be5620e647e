package dev.kiln.data.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardWriterTest {
    @TempDir
    Path dir;

    /** Random documents; {@code expected} receives the token stream the writer should produce. */
    static List<int[]> documents(long seed, int count, int vocab, int eot, List<Integer> expected) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            int[] ids = new int[r.nextInt(0, 40)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(vocab);
            }
            docs.add(ids);
            if (eot >= 0) {
                expected.add(eot);
            }
            for (int id : ids) {
                expected.add(id);
            }
        }
        return docs;
    }

    @Test
    void shardsHoldTheTokenStreamWithHeadersAndHashesAnyoneCanCheck() throws Exception {
        List<Integer> expected = new ArrayList<>();
        List<int[]> docs = documents(1, 60, 1000, 999, expected);
        ShardManifest m;
        try (ShardWriter w = ShardWriter.create(dir.resolve("out"), "test-bpe", 1000, 999, 50)) {
            for (int[] d : docs) {
                w.addDocument(d);
            }
            assertEquals(expected.size(), w.tokensWritten());
            m = w.finish();
        }
        Path out = dir.resolve("out");
        assertEquals(expected.size(), m.totalTokens());
        assertEquals((expected.size() + 49) / 50, m.shards().size());
        // read every shard back with plain ByteBuffers, independently of ShardDataset
        List<Integer> got = new ArrayList<>();
        for (int s = 0; s < m.shards().size(); s++) {
            ShardManifest.Shard shard = m.shards().get(s);
            assertEquals(String.format("shard-%05d.bin", s), shard.file());
            byte[] bytes = Files.readAllBytes(out.resolve(shard.file()));
            assertEquals(bytes.length, shard.bytes());
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), shard.sha256());
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            b.get(magic);
            assertEquals("KILNTOK\0", new String(magic, StandardCharsets.US_ASCII));
            assertEquals(1, b.getInt());
            assertEquals(2, b.getInt()); // uint16
            long n = b.getLong();
            assertEquals(shard.tokens(), n);
            assertEquals(1000, b.getInt());
            assertEquals(0, b.getInt());
            assertEquals(32 + 2 * n, bytes.length);
            assertTrue(n <= 50 && (s == m.shards().size() - 1 || n == 50));
            for (int i = 0; i < n; i++) {
                got.add(b.getShort() & 0xffff);
            }
        }
        assertEquals(expected, got);
        // the manifest as JSON, for tools outside Kiln
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) JsonFiles.read(out.resolve("manifest.json"));
        assertEquals("kiln-token-shards", json.get("format"));
        assertEquals("test-bpe", json.get("tokenizer"));
        assertEquals(1000L, json.get("vocab_size"));
        assertEquals("uint16", json.get("dtype"));
        assertEquals(999L, json.get("end_of_text_id"));
        assertEquals(60L, json.get("documents"));
        assertEquals((long) expected.size(), json.get("total_tokens"));
        try (Stream<Path> files = Files.list(out)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "temporary files left behind");
        }
    }

    @Test
    void tokenWidthFollowsTheVocabularySize() throws IOException {
        for (int vocab : new int[] {65536, 65537}) {
            Path out = dir.resolve("v" + vocab);
            try (ShardWriter w = ShardWriter.create(out, "t", vocab, -1, 1000)) {
                w.addDocument(new int[] {0, 1, vocab - 1, 65535});
                ShardManifest m = w.finish();
                assertEquals(vocab <= 65536 ? ShardFormat.TokenType.UINT16 : ShardFormat.TokenType.UINT32, m.tokenType());
                assertEquals(32 + 4L * m.tokenType().bytes(), Files.size(out.resolve("shard-00000.bin")));
            }
            try (ShardDataset d = ShardDataset.open(out)) {
                assertEquals(List.of(0, 1, vocab - 1, 65535), List.of(d.token(0), d.token(1), d.token(2), d.token(3)));
            }
        }
    }

    @Test
    void badIdsAndReusedDirectoriesAreRefused() throws IOException {
        try (ShardWriter w = ShardWriter.create(dir.resolve("a"), "t", 100, -1, 10)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.addDocument(new int[] {1, 100}));
            assertEquals("ShardWriter: document 0, token 1 is 100, outside the vocabulary [0, 100)", e.getMessage());
            w.addDocument(new int[] {1, 2});
            w.finish();
            assertThrows(IllegalStateException.class, () -> w.addDocument(new int[] {1}));
        }
        IOException again = assertThrows(IOException.class, () -> ShardWriter.create(dir.resolve("a"), "t", 100, -1, 10));
        assertTrue(again.getMessage().contains("already holds manifest.json"), again.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.create(dir.resolve("b"), "t", 100, 100, 10));
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.create(dir.resolve("b"), "t", 100, -1, 0));
    }

    @Test
    void closingWithoutFinishLeavesNoManifestAndNoPartialShard() throws IOException {
        Path out = dir.resolve("aborted");
        try (ShardWriter w = ShardWriter.create(out, "t", 100, 0, 10)) {
            for (int i = 0; i < 3; i++) {
                w.addDocument(new int[] {1, 2, 3, 4, 5, 6});
            }
        }
        try (Stream<Path> files = Files.list(out)) {
            // 21 tokens: two full shards were published, the third (1 token) was abandoned
            assertEquals(List.of("shard-00000.bin", "shard-00001.bin"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(assertThrows(java.nio.file.NoSuchFileException.class, () -> ShardDataset.open(out)).getMessage()
                .contains("no token shard manifest"));
    }
}
