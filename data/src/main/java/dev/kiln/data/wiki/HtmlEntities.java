package dev.kiln.data.wiki;

import java.util.Map;

/**
 * Decoding of the HTML character references found in wikitext: numeric ones ({@code &#8212;},
 * {@code &#x2014;}) and the named ones editors actually type (a few dozen out of HTML's 2,231).
 * An unknown name, or a number that is not a Unicode scalar value, is left as written, which is
 * what MediaWiki shows for it.
 */
final class HtmlEntities {
    private HtmlEntities() {}

    /** Longest reference looked for, {@code &} to {@code ;}: {@code &#x10FFFF;} and the longest name here fit. */
    private static final int MAX_REFERENCE = 12;

    private static final Map<String, String> NAMED = Map.ofEntries(
            Map.entry("amp", "&"), Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("quot", "\""),
            Map.entry("apos", "'"), Map.entry("nbsp", "\u00a0"), Map.entry("ensp", "\u2002"), Map.entry("emsp", "\u2003"),
            Map.entry("thinsp", "\u2009"), Map.entry("zwj", "\u200d"), Map.entry("zwnj", "\u200c"), Map.entry("shy", "\u00ad"),
            Map.entry("ndash", "\u2013"), Map.entry("mdash", "\u2014"), Map.entry("minus", "\u2212"), Map.entry("hellip", "\u2026"),
            Map.entry("lsquo", "\u2018"), Map.entry("rsquo", "\u2019"), Map.entry("ldquo", "\u201c"), Map.entry("rdquo", "\u201d"),
            Map.entry("laquo", "\u00ab"), Map.entry("raquo", "\u00bb"), Map.entry("bull", "\u2022"), Map.entry("middot", "\u00b7"),
            Map.entry("prime", "\u2032"), Map.entry("Prime", "\u2033"), Map.entry("deg", "\u00b0"), Map.entry("plusmn", "\u00b1"),
            Map.entry("times", "\u00d7"), Map.entry("divide", "\u00f7"), Map.entry("micro", "\u00b5"), Map.entry("para", "\u00b6"),
            Map.entry("sect", "\u00a7"), Map.entry("copy", "\u00a9"), Map.entry("reg", "\u00ae"), Map.entry("trade", "\u2122"),
            Map.entry("euro", "\u20ac"), Map.entry("pound", "\u00a3"), Map.entry("yen", "\u00a5"), Map.entry("cent", "\u00a2"),
            Map.entry("frac12", "\u00bd"), Map.entry("frac14", "\u00bc"), Map.entry("frac34", "\u00be"), Map.entry("sup1", "\u00b9"),
            Map.entry("sup2", "\u00b2"), Map.entry("sup3", "\u00b3"), Map.entry("larr", "\u2190"), Map.entry("rarr", "\u2192"),
            Map.entry("uarr", "\u2191"), Map.entry("darr", "\u2193"), Map.entry("harr", "\u2194"), Map.entry("le", "\u2264"),
            Map.entry("ge", "\u2265"), Map.entry("ne", "\u2260"), Map.entry("asymp", "\u2248"), Map.entry("infin", "\u221e"),
            Map.entry("alpha", "\u03b1"), Map.entry("beta", "\u03b2"), Map.entry("gamma", "\u03b3"), Map.entry("delta", "\u03b4"),
            Map.entry("epsilon", "\u03b5"), Map.entry("theta", "\u03b8"), Map.entry("lambda", "\u03bb"), Map.entry("mu", "\u03bc"),
            Map.entry("pi", "\u03c0"), Map.entry("sigma", "\u03c3"), Map.entry("tau", "\u03c4"), Map.entry("phi", "\u03c6"),
            Map.entry("omega", "\u03c9"), Map.entry("Delta", "\u0394"), Map.entry("Sigma", "\u03a3"), Map.entry("Omega", "\u03a9"),
            Map.entry("Pi", "\u03a0"), Map.entry("aacute", "\u00e1"), Map.entry("eacute", "\u00e9"), Map.entry("iacute", "\u00ed"),
            Map.entry("oacute", "\u00f3"), Map.entry("uacute", "\u00fa"), Map.entry("agrave", "\u00e0"), Map.entry("egrave", "\u00e8"),
            Map.entry("auml", "\u00e4"), Map.entry("ouml", "\u00f6"), Map.entry("uuml", "\u00fc"), Map.entry("Auml", "\u00c4"),
            Map.entry("Ouml", "\u00d6"), Map.entry("Uuml", "\u00dc"), Map.entry("szlig", "\u00df"), Map.entry("ccedil", "\u00e7"),
            Map.entry("ntilde", "\u00f1"), Map.entry("oslash", "\u00f8"), Map.entry("aring", "\u00e5"), Map.entry("aelig", "\u00e6"));

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
            return NAMED.get(body);
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
