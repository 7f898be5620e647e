package dev.kiln.data.wiki;

/**
 * Decoding of the HTML character references found in wikitext: numeric ones ({@code &#8212;},
 * {@code &#x2014;}) and HTML 4's named ones (shared with {@link dev.kiln.data.text.HtmlText}).
 * An unknown name, or a number that is not a Unicode scalar value, is left as written, which is
 * what MediaWiki shows for it.
 */
final class HtmlEntities {
    private HtmlEntities() {}

    /** Longest reference looked for, {@code &} to {@code ;}: {@code &#x10FFFF;} and the longest name here fit. */
    private static final int MAX_REFERENCE = 12;

    /** {@code s} with its character references decoded. */
    static String decode(String s) {
        int amp = s.indexOf('&');
        if (amp < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (amp >= 0) {
            out.append(s, i, amp);
            int semi = -1;
            for (int j = amp + 1; j < Math.min(s.length(), amp + MAX_REFERENCE); j++) { // bounded: '&'s without ';' stay linear
                if (s.charAt(j) == ';') {
                    semi = j;
                    break;
                }
            }
            String decoded = null;
            if (semi > amp + 1) {
                decoded = reference(s.substring(amp + 1, semi));
            }
            if (decoded != null) {
                out.append(decoded);
                i = semi + 1;
            } else {
                out.append('&');
                i = amp + 1;
            }
            amp = s.indexOf('&', i);
        }
        return out.append(s, i, s.length()).toString();
    }

    private static String reference(String body) {
        if (body.charAt(0) != '#') {
            int cp = dev.kiln.data.text.HtmlEntities.codePoint(body); // HTML 4's named references
            return cp < 0 ? null : Character.toString(cp);
        }
        boolean hex = body.length() > 1 && (body.charAt(1) == 'x' || body.charAt(1) == 'X');
        String digits = body.substring(hex ? 2 : 1);
        if (digits.isEmpty() || digits.length() > 7 || digits.charAt(0) == '+' || digits.charAt(0) == '-') {
            return null;
        }
        int cp;
        try {
            cp = Integer.parseInt(digits, hex ? 16 : 10);
        } catch (NumberFormatException e) {
            return null;
        }
        if (cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return null;
        }
        return Character.toString(cp);
    }
}
