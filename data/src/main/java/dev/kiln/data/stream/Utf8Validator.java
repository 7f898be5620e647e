package dev.kiln.data.stream;

import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequences. Valid bytes are then decoded by {@code new String(...,
 * UTF_8)}, whose intrinsic is much faster than a {@link java.nio.charset.CharsetDecoder} per
 * record.
 */
public final class Utf8Validator {
    private Utf8Validator() {}

    /** The index of the first byte of the first invalid sequence in {@code b[off, off+len)}, or -1. */
    public static int firstInvalid(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            int c = b[i];
            if (c >= 0) { // ASCII, the common case
                i++;
                continue;
            }
            c &= 0xff;
            int need;
            int lo = 0x80;
            int hi = 0xbf;
            if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                if (c == 0xe0) {
                    lo = 0xa0; // overlong below U+0800
                } else if (c == 0xed) {
                    hi = 0x9f; // surrogates U+D800..U+DFFF
                }
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                if (c == 0xf0) {
                    lo = 0x90; // overlong below U+10000
                } else if (c == 0xf4) {
                    hi = 0x8f; // above U+10FFFF
                }
            } else {
                return i; // 0x80..0xc1 (continuation or overlong lead) or 0xf5..0xff
            }
            if (i + need >= end) {
                return i; // truncated: fewer than need continuation bytes follow
            }
            int c1 = b[i + 1] & 0xff;
            if (c1 < lo || c1 > hi) {
                return i;
            }
            for (int k = 2; k <= need; k++) {
                int ck = b[i + k] & 0xff;
                if (ck < 0x80 || ck > 0xbf) {
                    return i;
                }
            }
            i += need + 1;
        }
        return -1;
    }

    /**
     * {@code b[off, off+len)} as a string under {@code policy}: with {@link Utf8Policy#REPORT},
     * {@code null} when the bytes are not valid UTF-8.
     */
    public static String decode(byte[] b, int off, int len, Utf8Policy policy) {
        if (policy == Utf8Policy.REPORT && firstInvalid(b, off, len) >= 0) {
            return null;
        }
        return new String(b, off, len, StandardCharsets.UTF_8);
    }

    /** A short description of the invalid sequence at {@code at}, e.g. {@code "byte 0xe9 at offset 3"}. */
    public static String describe(byte[] b, int off, int at) {
        return String.format("invalid UTF-8: byte 0x%02x at offset %d of the record", b[at] & 0xff, at - off);
    }
}
