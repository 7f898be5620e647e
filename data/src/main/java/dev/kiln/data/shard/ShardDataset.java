package dev.kiln.data.shard;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A directory of token shards written by {@link ShardWriter}, memory-mapped read-only: opening
 * it costs the header checks, not a read of the data, and the operating system pages tokens in
 * as windows touch them. Shards of any size are mapped whole (as {@link MemorySegment}s, which
 * are not limited to 2 GiB the way {@code MappedByteBuffer} is).
 *
 * <p><b>Verification.</b> {@link Verify#HEADERS} (the default) checks, per shard, that the file
 * exists, that its size is exactly header + tokens × width, and that its header (magic, version,
 * token width, count, vocabulary) agrees with the manifest: this catches truncation, a wrong
 * file and a stale manifest at the cost of one small read per shard. {@link Verify#CHECKSUMS}
 * also hashes every byte (SHA-256, roughly 1-2 GB/s per core: seconds per GB of shards) and
 * catches corrupted bytes; {@link #verifyChecksums()} runs the same check on demand.
 *
 * <p><b>Threads.</b> Reads are thread-safe. {@link #close()} unmaps the files; a read after it
 * throws {@link IllegalStateException}.
 */
public final class ShardDataset implements AutoCloseable {
    /** How much to check when opening. */
    public enum Verify {
        /** File sizes and headers against the manifest. */
        HEADERS,
        /** Headers, and the SHA-256 of every shard against the manifest. */
        CHECKSUMS
    }

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final ShardManifest manifest;
    private final Arena arena;
    private final MemorySegment[] segments;
    private final long[] firstToken; // global index of each shard's first token; [n] = total
    private final boolean wide;

    private ShardDataset(Path dir, ShardManifest manifest, Arena arena, MemorySegment[] segments) {
        this.dir = dir;
        this.manifest = manifest;
        this.arena = arena;
        this.segments = segments;
        this.firstToken = new long[segments.length + 1];
        for (int s = 0; s < segments.length; s++) {
            firstToken[s + 1] = firstToken[s] + manifest.shards().get(s).tokens();
        }
        this.wide = manifest.tokenType() == ShardFormat.TokenType.UINT32;
    }

    /** Opens {@code dir} with {@link Verify#HEADERS}. */
    public static ShardDataset open(Path dir) throws IOException {
        return open(dir, Verify.HEADERS);
    }

    /**
     * Opens the shards listed in {@code dir/manifest.json}.
     *
     * @throws MalformedDataException naming the shard and the expected and actual values when a
     *     check fails
     */
    public static ShardDataset open(Path dir, Verify verify) throws IOException {
        Objects.requireNonNull(dir, "ShardDataset: dir");
        Objects.requireNonNull(verify, "ShardDataset: verify");
        ShardManifest manifest = ShardManifest.read(dir);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment[] segments = new MemorySegment[manifest.shards().size()];
            for (int s = 0; s < segments.length; s++) {
                segments[s] = map(dir, manifest, manifest.shards().get(s), arena);
            }
            ShardDataset d = new ShardDataset(dir, manifest, arena, segments);
            if (verify == Verify.CHECKSUMS) {
                d.verifyChecksums();
            }
            return d;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path dir, ShardManifest manifest, ShardManifest.Shard shard, Arena arena) throws IOException {
        Path file = dir.resolve(shard.file());
        String name = file.toString();
        if (!Files.exists(file)) {
            throw new NoSuchFileException(name, null, "shard listed in " + ShardManifest.FILE_NAME + " is missing");
        }
        long expected = ShardFormat.HEADER_BYTES + shard.tokens() * manifest.tokenType().bytes();
        long size = Files.size(file);
        if (size != expected || shard.bytes() != expected) {
            throw new MalformedDataException(name + ": " + size + " bytes, expected " + expected + " (" + ShardFormat.HEADER_BYTES
                    + "-byte header + " + shard.tokens() + " tokens x " + manifest.tokenType().bytes() + " bytes"
                    + (shard.bytes() != expected ? "; the manifest says " + shard.bytes() : "") + ")"
                    + (size < expected ? ": truncated?" : ""));
        }
        MemorySegment seg;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
        ShardFormat.Header h = ShardFormat.parseHeader(seg, name);
        if (h.tokenType() != manifest.tokenType() || h.tokens() != shard.tokens() || h.vocabSize() != manifest.vocabSize()) {
            throw new MalformedDataException(name + ": header says " + h.tokens() + " " + h.tokenType().jsonName()
                    + " tokens of a " + h.vocabSize() + "-token vocabulary, the manifest " + shard.tokens() + " "
                    + manifest.tokenType().jsonName() + " tokens of " + manifest.vocabSize());
        }
        return seg;
    }

    /**
     * Hashes every shard and compares with the manifest (reads all the data once).
     *
     * @throws MalformedDataException naming the first shard whose SHA-256 differs, with both hashes
     */
    public void verifyChecksums() throws MalformedDataException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        for (int s = 0; s < segments.length; s++) {
            md.reset();
            MemorySegment seg = segments[s];
            long chunk = 1L << 26;
            for (long off = 0; off < seg.byteSize(); off += chunk) {
                md.update(seg.asSlice(off, Math.min(chunk, seg.byteSize() - off)).asByteBuffer());
            }
            String actual = HexFormat.of().formatHex(md.digest());
            ShardManifest.Shard shard = manifest.shards().get(s);
            if (!actual.equalsIgnoreCase(shard.sha256())) {
                throw new MalformedDataException(dir.resolve(shard.file()) + ": SHA-256 mismatch: the manifest says " + shard.sha256()
                        + ", the file hashes to " + actual + " (corrupted shard)");
            }
        }
    }

    public ShardManifest manifest() {
        return manifest;
    }

    /** Tokens in all shards. */
    public long totalTokens() {
        return firstToken[segments.length];
    }

    public int shardCount() {
        return segments.length;
    }

    /** Tokens in shard {@code s}. */
    public long shardTokens(int s) {
        Objects.checkIndex(s, segments.length);
        return firstToken[s + 1] - firstToken[s];
    }

    /** The token at global position {@code index} (shards concatenated in manifest order). */
    public int token(long index) {
        Objects.checkIndex(index, totalTokens());
        int s = shardOf(index);
        return tokenIn(s, index - firstToken[s]);
    }

    private int tokenIn(int s, long i) {
        long at = ShardFormat.HEADER_BYTES + (wide ? 4 * i : 2 * i);
        return wide ? segments[s].get(U32, at) : segments[s].get(U16, at) & 0xffff;
    }

    /** The shard holding global position {@code index}. */
    private int shardOf(long index) {
        int lo = 0;
        int hi = segments.length - 1;
        while (lo < hi) { // last shard whose first token is <= index
            int mid = (lo + hi + 1) >>> 1;
            if (firstToken[mid] <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Copies the tokens at global positions {@code [start, start+len)} into {@code dst[off, off+len)} (across shards if need be). */
    public void read(long start, long[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        Objects.checkFromIndexSize(start, len, totalTokens());
        long pos = start;
        int done = 0;
        while (done < len) {
            int s = shardOf(pos);
            long i = pos - firstToken[s];
            int n = (int) Math.min(len - done, firstToken[s + 1] - pos);
            for (int k = 0; k < n; k++) {
                dst[off + done + k] = tokenIn(s, i + k);
            }
            done += n;
            pos += n;
        }
    }

    /** How many windows of {@code length} tokens lie wholly inside one shard: {@code sum(max(0, n_s - length + 1))}. */
    public long windowCount(int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("ShardDataset.windowCount: length must be > 0, got " + length);
        }
        long count = 0;
        for (int s = 0; s < segments.length; s++) {
            count += Math.max(0, shardTokens(s) - length + 1);
        }
        return count;
    }

    /**
     * The global start of window {@code w} in {@code [0, windowCount(length))}, counting windows
     * shard by shard; windows never cross a shard boundary (the next shard may start mid-document
     * anyway, and this keeps every window one contiguous read).
     */
    public long windowStart(long w, int length) {
        long left = w;
        for (int s = 0; s < segments.length; s++) {
            long starts = Math.max(0, shardTokens(s) - length + 1);
            if (left < starts) {
                return firstToken[s] + left;
            }
            left -= starts;
        }
        throw new IndexOutOfBoundsException("ShardDataset.windowStart: window " + w + " of length " + length + " is not in [0, "
                + windowCount(length) + ")");
    }

    /** Unmaps the shards. */
    @Override
    public void close() {
        arena.close();
    }
}
