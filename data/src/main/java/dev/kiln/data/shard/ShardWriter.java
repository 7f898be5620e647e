package dev.kiln.data.shard;

import dev.kiln.data.io.AtomicFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Writes token ids into shard files ({@link ShardFormat}) of at most {@code maxTokensPerShard}
 * tokens each, plus {@code manifest.json} ({@link ShardManifest}).
 *
 * <p>Documents are appended in order; when an end-of-text id is given, it is written before each
 * document (as GPT-2's data pipelines do), so every document start is marked and the stream never
 * runs two documents together. A document may continue into the next shard.
 *
 * <p><b>Atomic.</b> Each shard is written under a temporary name, forced to disk, hashed and
 * renamed; {@link #finish()} then writes the manifest the same way. The manifest is the commit:
 * {@link #close()} without {@code finish()} (an exception on the way) deletes the shard in
 * progress and writes no manifest, so a half-written directory is never taken for a dataset.
 * Hashing re-reads each shard once, just after writing it (from the page cache, usually).
 *
 * <p>Not thread-safe.
 */
public final class ShardWriter implements Closeable {
    /** 100 M tokens: 200 MB per shard as uint16. */
    public static final long DEFAULT_MAX_TOKENS_PER_SHARD = 100_000_000L;
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path dir;
    private final String tokenizer;
    private final int vocabSize;
    private final int endOfTextId;
    private final long maxTokensPerShard;
    private final ShardFormat.TokenType type;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final List<ShardManifest.Shard> shards = new ArrayList<>();
    private FileChannel current;
    private Path currentTmp;
    private long currentTokens;
    private long documents;
    private boolean finished;
    private boolean closed;

    private ShardWriter(Path dir, String tokenizer, int vocabSize, int endOfTextId, long maxTokensPerShard) {
        this.dir = dir;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.endOfTextId = endOfTextId;
        this.maxTokensPerShard = maxTokensPerShard;
        this.type = ShardFormat.TokenType.forVocabulary(vocabSize);
    }

    /**
     * A writer into {@code dir} (created if missing; it must not already hold a manifest).
     *
     * @param tokenizer a name for the tokenizer, recorded in the manifest
     * @param vocabSize ids must be in {@code [0, vocabSize)}; up to 65,536 they are stored as uint16
     * @param endOfTextId the id written before each document, or -1 for none
     * @param maxTokensPerShard the most tokens per shard file
     */
    public static ShardWriter create(Path dir, String tokenizer, int vocabSize, int endOfTextId, long maxTokensPerShard)
            throws IOException {
        Objects.requireNonNull(dir, "ShardWriter: dir");
        Objects.requireNonNull(tokenizer, "ShardWriter: tokenizer");
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("ShardWriter: vocabSize must be > 0, got " + vocabSize);
        }
        if (endOfTextId < -1 || endOfTextId >= vocabSize) {
            throw new IllegalArgumentException("ShardWriter: endOfTextId must be -1 (none) or in [0, " + vocabSize + "), got "
                    + endOfTextId);
        }
        if (maxTokensPerShard <= 0) {
            throw new IllegalArgumentException("ShardWriter: maxTokensPerShard must be > 0, got " + maxTokensPerShard);
        }
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(ShardManifest.FILE_NAME))) {
            throw new IOException("ShardWriter: " + dir + " already holds " + ShardManifest.FILE_NAME
                    + "; write new shards into an empty directory");
        }
        return new ShardWriter(dir, tokenizer, vocabSize, endOfTextId, maxTokensPerShard);
    }

    /** Appends one document: the end-of-text id (when there is one), then {@code ids}. */
    public void addDocument(int[] ids) throws IOException {
        addDocument(ids, 0, ids.length);
    }

    /**
     * Appends {@code ids[off, off+len)} as one document.
     *
     * @throws IllegalArgumentException naming the document, position and value of an id outside the vocabulary
     */
    public void addDocument(int[] ids, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, ids.length);
        checkOpen();
        for (int i = off; i < off + len; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException("ShardWriter: document " + documents + ", token " + (i - off) + " is " + ids[i]
                        + ", outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        if (endOfTextId >= 0) {
            put(endOfTextId);
        }
        for (int i = off; i < off + len; i++) {
            put(ids[i]);
        }
        documents++;
    }

    private void put(int id) throws IOException {
        if (current == null) {
            openShard();
        }
        if (buffer.remaining() < type.bytes()) {
            drain();
        }
        if (type == ShardFormat.TokenType.UINT16) {
            buffer.putShort((short) id);
        } else {
            buffer.putInt(id);
        }
        currentTokens++;
        if (currentTokens == maxTokensPerShard) {
            closeShard();
        }
    }

    private void openShard() throws IOException {
        Path target = dir.resolve(String.format("shard-%05d.bin", shards.size()));
        currentTmp = AtomicFiles.temporary(target);
        current = FileChannel.open(currentTmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.READ);
        currentTokens = 0;
        buffer.clear();
        buffer.put(ShardFormat.header(type, 0, vocabSize)); // the count is filled in when the shard closes
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            current.write(buffer);
        }
        buffer.clear();
    }

    private void closeShard() throws IOException {
        drain();
        ByteBuffer header = ShardFormat.header(type, currentTokens, vocabSize);
        long at = 0;
        while (header.hasRemaining()) {
            at += current.write(header, at);
        }
        current.force(true);
        long bytes = current.size();
        String sha = sha256(current);
        current.close();
        current = null;
        Path target = currentTmp.resolveSibling(String.format("shard-%05d.bin", shards.size()));
        AtomicFiles.publish(currentTmp, target);
        currentTmp = null;
        shards.add(new ShardManifest.Shard(target.getFileName().toString(), currentTokens, bytes, sha));
    }

    static String sha256(FileChannel ch) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER_BYTES);
        long pos = 0;
        while (true) {
            b.clear();
            int n = ch.read(b, pos);
            if (n < 0) {
                break;
            }
            pos += n;
            b.flip();
            md.update(b);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Tokens written so far, end-of-text ids included. */
    public long tokensWritten() {
        long t = current == null ? 0 : currentTokens; // currentTokens of a closed shard is already in shards
        for (ShardManifest.Shard s : shards) {
            t += s.tokens();
        }
        return t;
    }

    /** Closes the last shard and writes the manifest; returns it. The writer is closed afterwards. */
    public ShardManifest finish() throws IOException {
        checkOpen();
        if (current != null) {
            closeShard();
        }
        ShardManifest manifest = new ShardManifest(tokenizer, vocabSize, type, endOfTextId, documents, shards);
        manifest.write(dir);
        finished = true;
        closed = true;
        return manifest;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("ShardWriter: " + dir + " is already " + (finished ? "finished" : "closed"));
        }
    }

    /** Without {@link #finish()}: abandons the shard in progress (deleting it) and writes no manifest. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (current != null) {
            current.close();
            current = null;
            Files.deleteIfExists(currentTmp);
        }
    }
}
