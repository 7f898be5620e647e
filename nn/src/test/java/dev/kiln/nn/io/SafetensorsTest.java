package dev.kiln.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Safetensors against fixtures written by an independent Python implementation of the format
 * (nn/src/test/python/safetensors_fixtures.py): loading is bit-exact, saving reproduces the files
 * byte for byte; plus round trips, modules, atomic replacement and corrupt files.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- fixtures from Python

    @ParameterizedTest
    @ValueSource(strings = {"mixed", "sorted_metadata", "no_metadata"})
    void loadsThePythonFixtureBitForBit(String name) throws IOException {
        SafetensorsFixture f = SafetensorsFixture.load(name);
        Path file = dir.resolve(name + ".safetensors");
        Files.write(file, f.fileBytes());
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            assertEquals(f.tensors().keySet(), c.tensors().keySet());
            for (SafetensorsFixture.Expected e : f.tensors().values()) {
                e.assertMatches(c.tensors().get(e.name()));
            }
            assertEquals(f.metadata(), c.metadata());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixed", "sorted_metadata", "no_metadata"})
    void savingTheSameTensorsReproducesTheFixtureByteForByte(String name) throws IOException {
        SafetensorsFixture f = SafetensorsFixture.load(name);
        Map<String, Tensor> tensors = new LinkedHashMap<>(); // the script's insertion order, not the file's
        try (TensorScope _ = TensorScope.open()) {
            f.tensors().forEach((n, e) -> tensors.put(n, e.toTensor()));
            Path out = dir.resolve("kiln-" + name + ".safetensors");
            Safetensors.save(out, tensors, f.metadata().isEmpty() ? null : f.metadata());
            byte[] actual = Files.readAllBytes(out);
            if (!Arrays.equals(f.fileBytes(), actual)) {
                int i = Arrays.mismatch(f.fileBytes(), actual);
                throw new AssertionError(name + ": Kiln's file differs from the fixture at byte " + i + " (fixture "
                        + f.fileBytes().length + " bytes, Kiln " + actual.length + ")\n fixture: "
                        + excerpt(f.fileBytes(), i) + "\n kiln:    " + excerpt(actual, i));
            }
        }
    }

    // ---------------------------------------------------------------- checksums

    @Test
    void theChecksumFixtureLoadsAndItsKeyIsLeftOutOfTheMetadata() throws IOException {
        SafetensorsFixture f = SafetensorsFixture.load("checksum");
        Path file = dir.resolve("checksum.safetensors");
        Files.write(file, f.fileBytes());
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            for (SafetensorsFixture.Expected e : f.tensors().values()) {
                e.assertMatches(c.tensors().get(e.name()));
            }
            assertEquals(Map.of("format", "pt"), c.metadata());
        }
    }

    @Test
    void savingWithAChecksumReproducesThePythonChecksumFixture() throws IOException {
        SafetensorsFixture f = SafetensorsFixture.load("checksum");
        Map<String, String> metadata = new LinkedHashMap<>(f.metadata());
        assertTrue(metadata.remove(Safetensors.CHECKSUM_KEY) != null, "the fixture carries the checksum");
        try (TensorScope _ = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            f.tensors().forEach((n, e) -> tensors.put(n, e.toTensor()));
            Path out = dir.resolve("kiln-checksum.safetensors");
            Safetensors.save(out, tensors, metadata, true);
            assertArrayEquals(f.fileBytes(), Files.readAllBytes(out), "Kiln's checksummed file differs from Python's");
        }
    }

    @Test
    void aFlippedDataByteIsReportedAsAChecksumMismatch() throws IOException {
        byte[] good = SafetensorsFixture.load("checksum").fileBytes();
        int dataStart = 8 + headerLength(good);
        for (int at : new int[] {dataStart, dataStart + 13, good.length - 1}) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(bad, dataStart, bad.length - dataStart);
            String stored = new String(good, 8, dataStart - 8, StandardCharsets.UTF_8)
                    .replaceAll("(?s).*\"kiln\\.data_crc32c\":\"([0-9a-f]{8})\".*", "$1");
            assertCorrupt(bad, "checksum mismatch, the file is corrupted (expected CRC32C " + stored + ", got "
                    + String.format("%08x", crc.getValue()) + ")");
        }
    }

    @Test
    void aFileWithoutAChecksumIsNotChecked() throws IOException {
        byte[] good = valid();
        byte[] changed = good.clone();
        changed[changed.length - 1] ^= 0x10; // a different but valid float: nothing to tell it from the original
        Path file = write("unchecked.safetensors", changed);
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            assertEquals(1, c.tensors().size());
        }
    }

    @Test
    void aMalformedChecksumEntryIsReported() throws IOException {
        byte[] bad = SafetensorsFixture.load("checksum").fileBytes().clone();
        String header = new String(bad, StandardCharsets.ISO_8859_1);
        int at = header.indexOf("\"kiln.data_crc32c\":\"") + "\"kiln.data_crc32c\":\"".length();
        bad[at] = 'Z';
        assertCorrupt(bad, "must be 8 lowercase hex digits");
    }

    @Test
    void saveModuleWritesAChecksumThatLoadVerifies() throws IOException {
        try (TensorScope _ = TensorScope.open()) {
            Path file = dir.resolve("mlp.safetensors");
            Safetensors.saveModule(file, mlp(1), Map.of("format", "pt"));
            byte[] bytes = Files.readAllBytes(file);
            int dataStart = 8 + headerLength(bytes);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(bytes, dataStart, bytes.length - dataStart);
            String header = new String(bytes, 8, dataStart - 8, StandardCharsets.UTF_8);
            assertTrue(header.contains("\"kiln.data_crc32c\":\"" + String.format("%08x", crc.getValue()) + "\""), header);
            try (Safetensors.Checkpoint c = Safetensors.load(file)) {
                assertEquals(Map.of("format", "pt"), c.metadata());
            }
        }
    }

    @Test
    void theChecksumKeyIsReservedAndAnEmptyFileCanCarryOne() throws IOException {
        try (TensorScope _ = TensorScope.open()) {
            Tensor t = Tensor.zeros(2);
            assertMessage(IllegalArgumentException.class, "reserved for the checksum",
                    () -> Safetensors.save(dir.resolve("x.safetensors"), Map.of("t", t), Map.of(Safetensors.CHECKSUM_KEY, "0")));
            Path empty = dir.resolve("empty.safetensors");
            Safetensors.save(empty, Map.of(), null, true);
            try (Safetensors.Checkpoint c = Safetensors.load(empty)) {
                assertTrue(c.tensors().isEmpty() && c.metadata().isEmpty());
            }
        }
    }

    @Test
    void loadReturnsTensorsInTheReferenceDataOrder() throws IOException {
        // Independent statement of the reference order: dtype descending (I64, F64, F32, I32, BF16,
        // F16, I8, BOOL), then name by UTF-8 bytes (upper case first; U+FF21 before U+1F600).
        List<String> expected = List.of("steps", "double", "scalar", "B", "empty", "layer.bias", "layer.weight",
                "\uff21", "\ud83d\ude00", "ids", "quote\"back\\slash\ttab", "bhalf", "emb.weight", "half", "tiny", "mask");
        Path file = dir.resolve("mixed.safetensors");
        Files.write(file, SafetensorsFixture.load("mixed").fileBytes());
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            assertEquals(expected, new ArrayList<>(c.tensors().keySet()));
        }
    }

    private static String excerpt(byte[] b, int at) {
        int from = Math.max(0, at - 16);
        int to = Math.min(b.length, at + 16);
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", ".");
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripsEveryDtypeExactly() throws IOException {
        Generator g = new Generator(7);
        try (TensorScope _ = TensorScope.open()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            for (DType t : DType.values()) {
                Tensor x = t.isFloatingPoint() ? Tensor.randn(g, t, 3, 5)
                        : t.isBool() ? Tensor.randint(g, 0, 2, 3, 5).to(DType.BOOL)
                        : Tensor.randint(g, -100, 100, 3, 5).to(t);
                in.put("x." + t, x);
                in.put("scalar." + t, Tensor.scalar(t.isBool() ? 1 : -3, t));
                in.put("empty." + t, Tensor.zeros(t, 2, 0));
            }
            Path file = dir.resolve("all.safetensors");
            Safetensors.save(file, in, Map.of("k", "v"));
            try (Safetensors.Checkpoint c = Safetensors.load(file)) {
                assertEquals(in.keySet(), c.tensors().keySet());
                in.forEach((n, x) -> assertSame(n, x, c.tensors().get(n)));
                assertEquals(Map.of("k", "v"), c.metadata());
            }
        }
    }

    @Test
    void nonContiguousTensorsAreWrittenRowMajor() throws IOException {
        Generator g = new Generator(3);
        try (TensorScope _ = TensorScope.open()) {
            Tensor base = Tensor.randn(g, 4, 6);
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("transposed", base.t());
            in.put("strided", base.slice(1, 1, 6, 2));
            in.put("narrowed", base.narrow(0, 1, 2));                  // contiguous view at an offset
            in.put("broadcast", Tensor.arange(3).to(DType.I32).unsqueeze(0).expand(4, 3));
            in.put("half.permuted", Tensor.randn(g, DType.BF16, 2, 3, 4).permute(2, 0, 1));
            Path file = dir.resolve("views.safetensors");
            Safetensors.save(file, in);
            try (Safetensors.Checkpoint c = Safetensors.load(file)) {
                in.forEach((n, x) -> {
                    assertTrue(c.tensors().get(n).isContiguous());
                    assertSame(n, x, c.tensors().get(n));
                });
            }
        }
    }

    @Test
    void tensorsLargerThanTheStagingBufferRoundTrip() throws IOException {
        int n = Safetensors.CHUNK_BYTES / 8 * 3 + 5; // F64: three full chunks and a tail
        Generator g = new Generator(11);
        try (TensorScope _ = TensorScope.open()) {
            Map<String, Tensor> in = Map.of("big", Tensor.randn(g, DType.F64, n), "also", Tensor.randn(g, n + 3));
            Path file = dir.resolve("big.safetensors");
            Safetensors.save(file, in);
            try (Safetensors.Checkpoint c = Safetensors.load(file)) {
                in.forEach((k, x) -> assertSame(k, x, c.tensors().get(k)));
            }
        }
    }

    private static void assertSame(String name, Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype(), name + ": dtype");
        assertEquals(expected.shape(), actual.shape(), name + ": shape");
        assertArrayEquals(SafetensorsFixture.rawOf(expected), SafetensorsFixture.rawOf(actual), name + ": values");
    }

    // ---------------------------------------------------------------- modules

    private static Sequential mlp(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(5, 8, true, g), Activation.relu(), new Linear(8, 3, true, g));
    }

    @Test
    void moduleRoundTripGivesTheSameOutputs() throws IOException {
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Sequential a = mlp(1);
            Sequential b = mlp(2);
            Var x = Var.constant(Tensor.randn(new Generator(5), 4, 5));
            float[] ya = a.forward(x).value().toFloatArray();
            assertFalse(Arrays.equals(ya, b.forward(x).value().toFloatArray()), "different seeds, different models");

            Path file = dir.resolve("mlp.safetensors");
            Safetensors.saveModule(file, a, Map.of("format", "pt"));
            Module.LoadResult r = Safetensors.loadModule(file, b, true);
            assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty());
            assertArrayEquals(ya, b.forward(x).value().toFloatArray());
            try (Safetensors.Checkpoint c = Safetensors.load(file)) {
                assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(sortedKeys(c)));
                assertEquals(Map.of("format", "pt"), c.metadata());
            }
        }
    }

    private static List<String> sortedKeys(Safetensors.Checkpoint c) {
        List<String> k = new ArrayList<>(c.tensors().keySet());
        k.sort((p, q) -> Integer.compare(order(p), order(q)));
        return k;
    }

    private static int order(String k) {
        return List.of("0.weight", "0.bias", "2.weight", "2.bias").indexOf(k);
    }

    @Test
    void loadModuleReportsMismatchesWithTheFileName() throws IOException {
        try (TensorScope _ = TensorScope.open()) {
            Path file = dir.resolve("mlp.safetensors");
            Safetensors.saveModule(file, mlp(1));
            Generator g = new Generator(3);
            Sequential wider = new Sequential(new Linear(5, 9, true, g), Activation.relu(), new Linear(9, 3, true, g));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Safetensors.loadModule(file, wider, true));
            assertTrue(e.getMessage().contains("mlp.safetensors") && e.getMessage().contains("0.weight"), e.getMessage());

            Sequential extra = new Sequential(new Linear(5, 8, true, g), Activation.relu(), new Linear(8, 3, true, g),
                    new Linear(3, 2, false, g));
            Module.LoadResult r = Safetensors.loadModule(file, extra, false);
            assertEquals(List.of("3.weight"), r.missingKeys());
            assertThrows(IllegalArgumentException.class, () -> Safetensors.loadModule(file, extra, true));
        }
    }

    // ---------------------------------------------------------------- atomic replacement and arguments

    @Test
    void saveReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        try (TensorScope _ = TensorScope.open()) {
            Path file = dir.resolve("ckpt.safetensors");
            Safetensors.save(file, Map.of("a", Tensor.ones(3)));
            Safetensors.save(file, Map.of("b", Tensor.zeros(DType.I64, 2)));
            try (Safetensors.Checkpoint c = Safetensors.load(file)) {
                assertEquals(List.of("b"), List.copyOf(c.tensors().keySet()));
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList());
            }
        }
    }

    @Test
    void aFailedSaveRemovesItsTemporaryFile() throws IOException {
        try (TensorScope _ = TensorScope.open()) {
            Path target = dir.resolve("occupied");
            Files.createDirectory(target);
            Files.writeString(target.resolve("keep.txt"), "x"); // a non-empty directory cannot be replaced
            assertThrows(IOException.class, () -> Safetensors.save(target, Map.of("a", Tensor.ones(3))));
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(target), files.toList());
            }
            assertEquals("x", Files.readString(target.resolve("keep.txt")));
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingIsWritten() {
        Path file = dir.resolve("x.safetensors");
        try (TensorScope _ = TensorScope.open()) {
            Tensor ok = Tensor.ones(2);
            assertMessage(IllegalArgumentException.class, "reserved",
                    () -> Safetensors.save(file, Map.of("__metadata__", ok)));
            Map<String, Tensor> withNull = new LinkedHashMap<>();
            withNull.put("w", null);
            assertMessage(IllegalArgumentException.class, "'w' is null", () -> Safetensors.save(file, withNull));
            Tensor closed = Tensor.ones(2);
            closed.close();
            assertMessage(IllegalStateException.class, "closed", () -> Safetensors.save(file, Map.of("c", closed)));
            assertMessage(IllegalArgumentException.class, "Unicode",
                    () -> Safetensors.save(file, Map.of("bad\ud800", ok)));
            Map<String, String> nullValue = new LinkedHashMap<>();
            nullValue.put("k", null);
            assertMessage(IllegalArgumentException.class, "null", () -> Safetensors.save(file, Map.of("a", ok), nullValue));
        }
        assertFalse(Files.exists(file));
    }

    // ---------------------------------------------------------------- corrupt files

    /** A valid file: header {"a": F32 [2]} then 8 data bytes. */
    private byte[] valid() throws IOException {
        Path file = dir.resolve("valid.safetensors");
        try (TensorScope _ = TensorScope.open()) {
            Safetensors.save(file, Map.of("a", Tensor.fromArray(new float[] {1, 2}, 2)));
        }
        return Files.readAllBytes(file);
    }

    private static int headerLength(byte[] file) {
        return (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    @Test
    void truncatedFilesAreReported() throws IOException {
        byte[] good = valid();
        int n = headerLength(good);
        assertEquals(good.length, 8 + n + 8);
        int[] cuts = {0, 1, 7, 8, 9, 8 + n / 2, 8 + n - 1, 8 + n, 8 + n + 3, good.length - 1};
        String[] expect = {"at least 8 bytes for the header length, found 0", "found 1", "found 7", "runs past the end",
            "runs past the end", "runs past the end", "runs past the end",
            "the file is truncated (expected " + good.length + " bytes, found " + (8 + n) + ")",
            "the file is truncated (expected " + good.length + " bytes, found " + (8 + n + 3) + ")",
            "the file is truncated (expected " + good.length + " bytes, found " + (good.length - 1) + ")"};
        for (int i = 0; i < cuts.length; i++) {
            assertCorrupt(Arrays.copyOf(good, cuts[i]), expect[i]);
        }
    }

    @Test
    void corruptHeaderBytesAreReported() throws IOException {
        byte[] good = valid();
        int n = headerLength(good);

        byte[] huge = good.clone();
        Arrays.fill(huge, 0, 8, (byte) 0xff);
        assertCorrupt(huge, "header length 18446744073709551615 exceeds the limit");

        byte[] tooBig = good.clone();
        ByteBuffer.wrap(tooBig).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 100_000_001L);
        assertCorrupt(tooBig, "exceeds the limit");

        byte[] start = good.clone();
        start[8] = 'x';
        assertCorrupt(start, "does not start with '{'");

        byte[] utf8 = good.clone();
        utf8[10] = (byte) 0xff; // inside the name "a"
        assertCorrupt(utf8, "not valid UTF-8");

        byte[] json = good.clone();
        int close = lastIndexOf(json, (byte) '}', 8 + n);
        json[close] = ']';
        assertCorrupt(json, "not valid JSON");

        byte[] longer = Arrays.copyOf(good, good.length + 4);
        assertCorrupt(longer, "4 trailing bytes");
    }

    private static int lastIndexOf(byte[] b, byte v, int end) {
        for (int i = end - 1; i >= 0; i--) {
            if (b[i] == v) {
                return i;
            }
        }
        throw new AssertionError("no " + (char) v);
    }

    @Test
    void inconsistentHeadersAreReported() throws IOException {
        byte[] d8 = new byte[8];
        assertCorrupt(file("{\"a\":{\"dtype\":\"X32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8), "unknown dtype \"X32\"");
        assertCorrupt(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}", d8),
                "dtype U8 is not supported by Kiln");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d8),
                "span 8 bytes but F32 [3] needs 3 x 4 = 12 bytes");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", d8), "overlap tensor 'a'");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[6,8]}}", d8), "bytes [4, 6) of the data");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d8), "bytes [0, 4)");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d8), "4 trailing bytes");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", d8), "truncated");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", d8), "end before they begin");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d8),
                "non-negative integers");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", d8), "missing field \"data_offsets\"");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", d8), "[begin, end]");
        assertCorrupt(file("{\"a\":[1,2]}", d8), "tensor 'a': expected an object");
        assertCorrupt(file("{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                d8), "value of key \"k\" must be a string");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8), "duplicate key \"a\"");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", d8),
                "more than Kiln's limit");
        assertCorrupt(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", d8), "not valid JSON");
    }

    @Test
    void readsWhatOtherWritersMayProduce() throws IOException {
        // Pretty-printed JSON, tensors listed out of data order, escaped names, metadata null.
        byte[] data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putFloat(1.5f).put(new byte[] {1, 0, 5, 0})
                .array();
        String header = "{\n  \"__metadata__\": null,\n  \"m\\u00e9\": {\"dtype\": \"BOOL\", \"shape\": [4], "
                + "\"data_offsets\": [8, 12], \"extra\": true},\n  \"i\": {\"dtype\": \"I32\", \"shape\": [], "
                + "\"data_offsets\": [0, 4]},\n  \"f\": {\"shape\": [1], \"dtype\": \"F32\", \"data_offsets\": [4, 8]}\n}";
        Path file = write("other.safetensors", file(header, data));
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            assertEquals(List.of("i", "f", "m\u00e9"), List.copyOf(c.tensors().keySet()));
            assertEquals(7, c.tensors().get("i").item());
            assertEquals(0, c.tensors().get("i").rank());
            assertEquals(1.5, c.tensors().get("f").item());
            // A BOOL byte other than 0/1 reads as true and is stored as 1.
            assertArrayEquals(new long[] {1, 0, 1, 0}, c.tensors().get("m\u00e9").toLongArray());
            assertTrue(c.metadata().isEmpty());
        }
    }

    @Test
    void anEmptyCheckpointRoundTrips() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        Safetensors.save(file, Map.of());
        assertArrayEquals("\u0008\0\0\0\0\0\0\0{}      ".getBytes(StandardCharsets.ISO_8859_1), Files.readAllBytes(file));
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            assertTrue(c.tensors().isEmpty());
        }
    }

    /** A file made by hand: length, header (padded to 8 with spaces), data. */
    private static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        return b.put(data).array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(bytes);
        }
        return file;
    }

    private void assertCorrupt(byte[] bytes, String expected) throws IOException {
        Path file = write("corrupt.safetensors", bytes);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.load(file));
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    private static <T extends Throwable> void assertMessage(Class<T> type, String expected,
            org.junit.jupiter.api.function.Executable call) {
        T e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
