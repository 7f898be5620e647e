package dev.kiln.data.shard;

import dev.kiln.data.io.MalformedDataException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The token shard file format: a 32-byte header, then the token ids, little-endian, 2 or 4 bytes
 * each. Simple enough to read with {@code numpy.memmap(path, dtype="<u2", offset=32)}.
 *
 * <pre>
 * offset size field
 *      0    8 magic "KILNTOK\0"
 *      8    4 format version (1), u32 LE
 *     12    4 bytes per token (2 = uint16, 4 = uint32), u32 LE
 *     16    8 token count, u64 LE
 *     24    4 vocabulary size, u32 LE (every id is below it)
 *     28    4 reserved, 0
 *     32      token ids
 * </pre>
 *
 * The file's size must be exactly {@code 32 + count * bytesPerToken}, so a truncated or padded
 * shard is caught without reading it.
 */
public final class ShardFormat {
    /** The first 8 bytes of every shard. */
    public static final String MAGIC = "KILNTOK\0";
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 32;

    private ShardFormat() {}

    /** How token ids are stored: the narrowest unsigned type that holds every id of the vocabulary. */
    public enum TokenType {
        UINT16(2),
        UINT32(4);

        private final int bytes;

        TokenType(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per token. */
        public int bytes() {
            return bytes;
        }

        /** UINT16 when every id of a {@code vocabSize}-token vocabulary fits 16 bits (vocabSize &lt;= 65,536), else UINT32. */
        public static TokenType forVocabulary(int vocabSize) {
            if (vocabSize <= 0) {
                throw new IllegalArgumentException("TokenType.forVocabulary: vocabSize must be > 0, got " + vocabSize);
            }
            return vocabSize <= (1 << 16) ? UINT16 : UINT32;
        }

        /** The manifest's name for it: {@code "uint16"} or {@code "uint32"}. */
        public String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A parsed header. */
    public record Header(TokenType tokenType, long tokens, int vocabSize) {}

    /** The header of a shard holding {@code tokens} ids. */
    static ByteBuffer header(TokenType type, long tokens, int vocabSize) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
        b.putInt(VERSION);
        b.putInt(type.bytes());
        b.putLong(tokens);
        b.putInt(vocabSize);
        b.putInt(0);
        return b.flip();
    }

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Parses and checks the header at the start of {@code shard} (at least {@link #HEADER_BYTES} long).
     *
     * @throws MalformedDataException naming {@code name} for a wrong magic, version or token width
     */
    static Header parseHeader(MemorySegment shard, String name) throws MalformedDataException {
        byte[] magic = shard.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE);
        if (!MAGIC.equals(new String(magic, StandardCharsets.ISO_8859_1))) {
            throw new MalformedDataException(name + ": not a Kiln token shard: magic is " + java.util.HexFormat.of().formatHex(magic)
                    + ", expected " + java.util.HexFormat.of().formatHex(MAGIC.getBytes(StandardCharsets.US_ASCII)) + " (\"KILNTOK\\0\")");
        }
        int version = shard.get(U32, 8);
        if (version != VERSION) {
            throw new MalformedDataException(name + ": shard format version " + Integer.toUnsignedString(version)
                    + ", this reader knows version " + VERSION);
        }
        int width = shard.get(U32, 12);
        TokenType type = switch (width) {
            case 2 -> TokenType.UINT16;
            case 4 -> TokenType.UINT32;
            default -> throw new MalformedDataException(name + ": " + Integer.toUnsignedString(width)
                    + " bytes per token in the header, expected 2 or 4");
        };
        long tokens = shard.get(U64, 16);
        int vocab = shard.get(U32, 24);
        if (tokens < 0 || vocab <= 0) {
            throw new MalformedDataException(name + ": header has token count " + Long.toUnsignedString(tokens)
                    + " and vocabulary size " + Integer.toUnsignedString(vocab) + ", both must be positive");
        }
        return new Header(type, tokens, vocab);
    }
}
