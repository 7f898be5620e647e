package dev.kiln.optim.checkpoint;

import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.io.SafetensorsFormatException;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.io.TensorBytes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A safetensors file whose metadata carries a SHA-256 checksum of everything else in it, so a
 * bit flipped on disk or a truncated copy is caught on load instead of silently resuming from
 * wrong numbers.
 *
 * <p>The checksum ({@value #CHECKSUM_KEY}, 64 hex digits) covers a canonical encoding of the
 * contents rather than the file's bytes (the file holds the checksum itself): for each tensor in
 * name order its name, dtype, shape and little-endian data; then each other metadata entry in key
 * order; strings as UTF-8 with a 4-byte length prefix. Any change to a tensor's bytes, dtype or
 * shape, or to a metadata value, changes it; a change to the JSON header that parses to the
 * same contents (whitespace) does not matter and is not detected.
 *
 * <p>Writes are atomic ({@link Safetensors#save}: temporary file, fsync, rename, directory fsync).
 */
public final class CheckpointFile {
    /** The metadata key of the checksum. */
    public static final String CHECKSUM_KEY = "kiln.sha256";

    private static final int CHUNK = 1 << 16;

    private CheckpointFile() {}

    /**
     * Writes {@code tensors} and {@code metadata} (may be empty, must not contain
     * {@link #CHECKSUM_KEY}) plus their checksum to {@code file}, atomically.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        if (metadata.containsKey(CHECKSUM_KEY)) {
            throw new IllegalArgumentException("CheckpointFile.write(" + file + "): metadata key '" + CHECKSUM_KEY
                    + "' is reserved for the checksum");
        }
        Map<String, String> withSum = new TreeMap<>(metadata);
        withSum.put(CHECKSUM_KEY, checksum(tensors, metadata));
        Safetensors.save(file, tensors, withSum);
    }

    /**
     * Reads {@code file} and verifies its checksum. The returned tensors belong to the caller
     * (close the result); the metadata excludes the checksum.
     *
     * @throws CorruptCheckpointException when the file is not a valid safetensors file (e.g.
     *     truncated), has no checksum, or its contents do not match it
     * @throws java.nio.file.NoSuchFileException when it does not exist
     */
    public static Safetensors.Checkpoint read(Path file) throws IOException {
        Safetensors.Checkpoint c;
        try {
            c = Safetensors.load(file);
        } catch (SafetensorsFormatException e) {
            throw new CorruptCheckpointException(file, e.getMessage(), e);
        }
        try {
            String stored = c.metadata().get(CHECKSUM_KEY);
            if (stored == null) {
                throw new CorruptCheckpointException(file, "no '" + CHECKSUM_KEY + "' entry in its metadata "
                        + "(not written by CheckpointFile?)", null);
            }
            Map<String, String> rest = new TreeMap<>(c.metadata());
            rest.remove(CHECKSUM_KEY);
            String actual = checksum(c.tensors(), rest);
            if (!actual.equals(stored)) {
                throw new CorruptCheckpointException(file, "SHA-256 mismatch: the file says " + stored
                        + " but its contents hash to " + actual, null);
            }
            return new Safetensors.Checkpoint(c.tensors(), java.util.Collections.unmodifiableMap(rest));
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The checksum of {@code tensors} and {@code metadata}, as 64 lowercase hex digits. */
    static String checksum(Map<String, Tensor> tensors, Map<String, String> metadata) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        byte[] chunk = new byte[CHUNK];
        List<String> names = new ArrayList<>(tensors.keySet());
        names.sort(null);
        updateInt(md, names.size());
        for (String name : names) {
            Tensor t = tensors.get(name);
            updateString(md, name);
            updateString(md, t.dtype().name());
            int[] shape = t.shape().toArray();
            updateInt(md, shape.length);
            for (int d : shape) {
                updateInt(md, d);
            }
            updateData(md, t, chunk);
        }
        Map<String, String> sorted = new TreeMap<>(metadata);
        updateInt(md, sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            updateString(md, e.getKey());
            updateString(md, e.getValue());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The tensor's elements, row-major, little-endian, through a byte chunk (no per-element boxing). */
    private static void updateData(MessageDigest md, Tensor t, byte[] chunk) {
        if (t.numel() == 0) {
            return;
        }
        MemorySegment staging = MemorySegment.ofArray(chunk);
        try {
            TensorBytes.stream(t, staging, (seg, n) -> md.update(chunk, 0, (int) n));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // the sink does no I/O
        }
    }

    private static void updateInt(MessageDigest md, int v) {
        md.update(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
    }

    private static void updateString(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        updateInt(md, b.length);
        md.update(b);
    }
}
