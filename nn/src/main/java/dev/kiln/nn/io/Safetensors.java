package dev.kiln.nn.io;

import dev.kiln.nn.Module;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.DeviceScope;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.io.TensorBytes;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files, the
 * checkpoint format of the Hugging Face ecosystem: an 8-byte little-endian header length N, N bytes
 * of UTF-8 JSON ({@code {"__metadata__":{..}, "name":{"dtype":"F32","shape":[..],"data_offsets":[b,e]}, ..}}),
 * then each tensor's raw little-endian row-major bytes.
 *
 * <p>Files written here are byte for byte what the reference library ({@code safetensors.torch.save_file})
 * writes for the same tensors and metadata: same data order, compact JSON, same string escaping and
 * the same space padding; the one liberty is that metadata keys are sorted, where the reference
 * uses its hash map's random order (identical whenever there is at most one key).
 *
 * <p>Saving is atomic: the data goes to a temporary file in the target's directory, which is
 * fsynced and then renamed over the target, so a crash never leaves a half-written checkpoint in
 * place of the previous one. Loading validates everything the reference validates (header length,
 * UTF-8, JSON, dtypes, shape against offsets, offsets tiling the data section exactly) and reports
 * problems as a {@link SafetensorsFormatException} naming the file.
 *
 * <p><b>Checksum.</b> Model files Kiln writes ({@link #saveModule}, or {@link #save(Path, Map, Map,
 * boolean)} asked to) carry a CRC32C of the data section in the metadata, under
 * {@value #CHECKSUM_KEY} (8 lowercase hex digits). The format allows any string metadata, so other
 * readers (the Python library) load such files unchanged. {@link #load} verifies the checksum
 * when it is present and leaves the key out of the returned metadata, so a file that lost a bit
 * on disk or in a copy says so instead of serving wrong weights. The checksum covers the tensor
 * bytes only: the header is checked by parsing and validating it.
 *
 * <p>Data moves in bulk through {@link MemorySegment} copies (byte-swapped only on a big-endian
 * host); nothing is boxed per element.
 */
public final class Safetensors {
    /** Staging-buffer size for writing: big enough that a write costs one syscall per 4 MiB. */
    static final int CHUNK_BYTES = 4 << 20;

    /** The metadata key of the data section's CRC32C (reserved: callers may not set it). */
    public static final String CHECKSUM_KEY = "kiln.data_crc32c";

    /** Placeholder written in the header and overwritten once the data's checksum is known. */
    private static final String CHECKSUM_PLACEHOLDER = "00000000";

    private Safetensors() {}

    /**
     * The contents of a file: tensors by name in file (data) order, and the string metadata
     * (empty when the file has none). Closing it closes every tensor.
     */
    public record Checkpoint(Map<String, Tensor> tensors, Map<String, String> metadata) implements AutoCloseable {
        @Override
        public void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    // ---------------------------------------------------------------- saving

    /** {@link #save(Path, Map, Map)} without metadata. */
    public static void save(Path file, Map<String, Tensor> tensors) throws IOException {
        save(file, tensors, null);
    }

    /**
     * Writes {@code tensors} (any dtype, any layout: non-contiguous views are written row-major)
     * and {@code metadata} (null or empty: no {@code __metadata__} entry) to {@code file},
     * atomically replacing it if it exists; the bytes are the reference library's (no checksum).
     *
     * @throws IllegalArgumentException for a null or closed tensor, a null name or metadata
     *     entry, the reserved names {@code __metadata__} and {@value #CHECKSUM_KEY}, or a string
     *     that is not valid Unicode
     * @throws IOException when writing fails (the previous file, if any, is left untouched)
     */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        save(file, tensors, metadata, false);
    }

    /**
     * {@link #save(Path, Map, Map)}, plus, when {@code checksum} is true, the data section's CRC32C
     * in the metadata under {@value #CHECKSUM_KEY}, computed in the same pass that writes the data.
     */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, boolean checksum)
            throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("Safetensors.save: file must not be null");
        }
        if (tensors == null) {
            throw new IllegalArgumentException("Safetensors.save: tensors must not be null");
        }
        List<Map.Entry<String, DType>> order = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null) {
                throw new IllegalArgumentException("Safetensors.save: a tensor name is null");
            }
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("Safetensors.save: '" + name + "' is reserved for metadata and "
                        + "cannot name a tensor");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("Safetensors.save: tensor '" + name + "' is null");
            }
            e.getValue().checkOpen("Safetensors.save('" + name + "')");
            order.add(Map.entry(name, e.getValue().dtype()));
        }
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("Safetensors.save: metadata entry " + e.getKey() + "="
                            + e.getValue() + " has a null key or value");
                }
            }
            if (metadata.containsKey(CHECKSUM_KEY)) {
                throw new IllegalArgumentException("Safetensors.save: metadata key '" + CHECKSUM_KEY
                        + "' is reserved for the checksum (pass checksum=true to write one)");
            }
        }
        if (checksum) {
            Map<String, String> withSum = new LinkedHashMap<>(metadata == null ? Map.of() : metadata);
            withSum.put(CHECKSUM_KEY, CHECKSUM_PLACEHOLDER);
            metadata = withSum;
        }
        order.sort(SafetensorsHeader.DATA_ORDER);
        List<SafetensorsHeader.Entry> entries = new ArrayList<>(order.size());
        long offset = 0;
        for (Map.Entry<String, DType> e : order) {
            Tensor t = tensors.get(e.getKey());
            long bytes = (long) t.numel() * t.dtype().byteSize();
            entries.add(new SafetensorsHeader.Entry(e.getKey(), t.dtype(), t.shape().toArray(), offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = SafetensorsHeader.encode(entries, metadata == null || metadata.isEmpty() ? null : metadata);
        // The key is followed by its string value; escaping makes this byte sequence occur nowhere else.
        byte[] checksumField = ("\"" + CHECKSUM_KEY + "\":\"").getBytes(StandardCharsets.UTF_8);
        long checksumAt = checksum ? 8 + indexOf(header, checksumField) + checksumField.length : -1;
        CRC32C crc = checksum ? new CRC32C() : null;

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    Arena arena = Arena.ofConfined()) {
                ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                writeFully(ch, prefix);
                MemorySegment staging = arena.allocate(CHUNK_BYTES, 8);
                for (SafetensorsHeader.Entry e : entries) {
                    writeTensor(ch, tensors.get(e.name()), staging, crc);
                }
                if (crc != null) {
                    ByteBuffer hex = ByteBuffer.wrap(hex(crc.getValue()).getBytes(StandardCharsets.US_ASCII));
                    while (hex.hasRemaining()) {
                        ch.write(hex, checksumAt + hex.position());
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncDirectory(dir);
    }

    /** Makes the rename durable; not every platform can open a directory, and then there is nothing to do. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Best effort: the file itself is already fsynced.
        }
    }

    private static void writeTensor(FileChannel ch, Tensor t, MemorySegment staging, CRC32C crc) throws IOException {
        if (t.numel() == 0) {
            return;
        }
        TensorBytes.stream(t, staging, (seg, n) -> {
            ByteBuffer chunk = seg.asSlice(0, n).asByteBuffer();
            if (crc != null) {
                crc.update(chunk.duplicate());
            }
            writeFully(ch, chunk);
        });
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("Safetensors.save: the checksum entry is missing from the encoded header");
    }

    private static String hex(long crc) {
        return String.format("%08x", crc);
    }

    /** The CRC32C of {@code data}, through ByteBuffer views of at most 1 GiB (a view's size is an int). */
    private static long crc32c(MemorySegment data) {
        CRC32C crc = new CRC32C();
        long size = data.byteSize();
        for (long at = 0; at < size; at += 1L << 30) {
            crc.update(data.asSlice(at, Math.min(1L << 30, size - at)).asByteBuffer());
        }
        return crc.getValue();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    // ---------------------------------------------------------------- loading

    /**
     * Reads every tensor of {@code file} into new contiguous tensors on the creation device
     * ({@link DeviceScope}; the CPU by default), owned by the caller or by the enclosing
     * {@link dev.kiln.tensor.TensorScope}.
     *
     * @throws SafetensorsFormatException when the file is not a valid safetensors file, or holds a
     *     dtype Kiln has no counterpart for (U8, I16, F8_*, ...)
     * @throws IOException when reading fails
     */
    public static Checkpoint load(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("Safetensors.load: file must not be null");
        }
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsFormatException(where, "the file is truncated or not a safetensors file (expected "
                        + "at least 8 bytes for the header length, found " + size + ")");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0, where);
            long n = len.flip().getLong();
            if (Long.compareUnsigned(n, SafetensorsHeader.MAX_HEADER_BYTES) > 0) {
                throw new SafetensorsFormatException(where, "the header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes (corrupt file?)");
            }
            if (8 + n > size) {
                throw new SafetensorsFormatException(where, "the file is truncated or not a safetensors file: its header "
                        + "length " + n + " runs past the end of the file (expected at least " + (8 + n) + " bytes, found "
                        + size + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8, where);
            long dataStart = 8 + n;
            SafetensorsHeader.Parsed parsed = SafetensorsHeader.decode(header.array(), dataStart, size, where);

            MemorySegment data = size > dataStart
                    ? ch.map(FileChannel.MapMode.READ_ONLY, dataStart, size - dataStart, arena)
                    : MemorySegment.NULL;
            Map<String, String> metadata = parsed.metadata() == null ? new LinkedHashMap<>()
                    : new LinkedHashMap<>(parsed.metadata());
            String stored = metadata.remove(CHECKSUM_KEY);
            if (stored != null) {
                if (!stored.matches("[0-9a-f]{8}")) {
                    throw new SafetensorsFormatException(where, "metadata \"" + CHECKSUM_KEY + "\" must be 8 lowercase hex "
                            + "digits, got \"" + stored + "\" (corrupt header?)");
                }
                String actual = hex(size > dataStart ? crc32c(data) : new CRC32C().getValue());
                if (!actual.equals(stored)) {
                    throw new SafetensorsFormatException(where, "checksum mismatch, the file is corrupted (expected CRC32C "
                            + stored + ", got " + actual + ")");
                }
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            try {
                for (SafetensorsHeader.Entry e : parsed.entries()) {
                    tensors.put(e.name(), readTensor(data, e));
                }
            } catch (RuntimeException | Error ex) {
                tensors.values().forEach(Tensor::close);
                throw ex;
            }
            return new Checkpoint(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        }
    }

    private static Tensor readTensor(MemorySegment data, SafetensorsHeader.Entry e) {
        Tensor t = Tensor.empty(e.dtype(), DeviceScope.current(), Shape.of(e.shape()));
        if (t.numel() == 0) {
            return t;
        }
        t.readBytes(data.asSlice(e.begin(), (long) t.numel() * e.dtype().byteSize()));
        return t;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, String where) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new SafetensorsFormatException(where, "the file ended while reading byte " + pos
                        + " (was it truncated while being read?)");
            }
            pos += r;
        }
    }

    // ---------------------------------------------------------------- modules

    /** Saves {@code module.stateDict()} (parameters then buffers, by dotted name) without metadata. */
    public static void saveModule(Path file, Module module) throws IOException {
        saveModule(file, module, null);
    }

    /**
     * Saves {@code module.stateDict()} with {@code metadata} (for example {@code {"format": "pt"}})
     * and the data's {@linkplain #CHECKSUM_KEY checksum}, which {@link #load} verifies.
     */
    public static void saveModule(Path file, Module module, Map<String, String> metadata) throws IOException {
        if (module == null) {
            throw new IllegalArgumentException("Safetensors.saveModule: module must not be null");
        }
        save(file, module.stateDict(), metadata, true);
    }

    /**
     * Loads {@code file} into {@code module}'s parameters and buffers in place via
     * {@link Module#loadStateDict} (strict: the keys must match exactly; shapes must always match;
     * dtypes are converted). The loaded tensors are closed afterwards.
     */
    public static Module.LoadResult loadModule(Path file, Module module, boolean strict) throws IOException {
        if (module == null) {
            throw new IllegalArgumentException("Safetensors.loadModule: module must not be null");
        }
        try (Checkpoint c = load(file)) {
            return module.loadStateDict(c.tensors(), strict);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Safetensors.loadModule(" + file + "): " + e.getMessage(), e);
        }
    }
}
