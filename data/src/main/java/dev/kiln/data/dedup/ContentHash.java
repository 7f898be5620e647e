package dev.kiln.data.dedup;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The first 128 bits of the SHA-256 of a text's UTF-8 bytes: the identity of a document for exact
 * deduplication. 128 bits make an accidental collision negligible (about 10<sup>-20</sup> for a
 * billion documents) while taking half the memory of the full digest.
 */
public record ContentHash(long high, long low) {
    /** The hash of {@code text}. */
    public static ContentHash of(String text) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e); // every JDK must provide it
        }
        byte[] d = sha.digest(text.getBytes(StandardCharsets.UTF_8));
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (d[i] & 0xFF);
            lo = (lo << 8) | (d[i + 8] & 0xFF);
        }
        return new ContentHash(hi, lo);
    }

    /** The 32 hex digits. */
    @Override
    public String toString() {
        return String.format("%016x%016x", high, low);
    }
}
