package dev.kiln.data.tokenize;

/**
 * Lenient UTF-8 decoding that replaces each maximal invalid subsequence by one U+FFFD (the
 * Unicode Standard's recommended practice, §3.9, and what Rust's {@code String::from_utf8_lossy}
 * and Python's {@code errors="replace"} do). The JDK's decoder differs on some inputs: it turns an
 * encoded surrogate such as {@code ED A0 80} into one U+FFFD where these give three.
 */
final class Utf8 {
    private Utf8() {}

    static String decodeLossy(byte[] b, int length) {
        char[] out = new char[length]; // never more chars than bytes
        int n = 0;
        int i = 0;
        while (i < length) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out[n++] = (char) b0;
                i++;
                continue;
            }
            int need; // continuation bytes after the lead
            int lo = 0x80; // allowed range of the first continuation byte
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0; // no overlong forms
                } else if (b0 == 0xED) {
                    hi = 0x9F; // no surrogates
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F; // nothing above U+10FFFF
                }
            } else {
                out[n++] = '\uFFFD'; // a byte that never starts a character
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            int got = 0;
            while (got < need && j < length) {
                int c = b[j] & 0xFF;
                if (c < lo || c > hi) {
                    break;
                }
                cp = (cp << 6) | (c & 0x3F);
                lo = 0x80;
                hi = 0xBF;
                j++;
                got++;
            }
            if (got < need) {
                out[n++] = '\uFFFD'; // the valid prefix so far is one maximal subpart
                i = j;
                continue;
            }
            if (cp >= 0x10000) {
                out[n++] = Character.highSurrogate(cp);
                out[n++] = Character.lowSurrogate(cp);
            } else {
                out[n++] = (char) cp;
            }
            i = j;
        }
        return new String(out, 0, n);
    }
}
