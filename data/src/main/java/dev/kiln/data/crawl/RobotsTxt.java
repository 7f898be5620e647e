package dev.kiln.data.crawl;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code robots.txt} (RFC 9309). Lines are {@code key: value} with {@code #} comments;
 * consecutive {@code user-agent} lines open a group, the {@code allow}/{@code disallow} lines after
 * them are its rules (Google's {@code crawl-delay}, in seconds, too); rules before any user-agent
 * line and unknown keys are ignored. Immutable and thread-safe.
 *
 * <p>{@link #rulesFor} picks the groups for a crawler's product token: those whose user-agent is
 * the longest case-insensitive prefix of the token ("kiln" for "kiln-crawler", "kiln-crawler" when
 * it is there too: the most specific match, as Google does), all groups of that name merged;
 * failing any, the {@code *} groups; failing those, everything is allowed. A matching group
 * without rules allows everything (it does not fall back to {@code *}).
 */
public final class RobotsTxt {
    /** The outcome of matching one path. */
    public record Rules(List<Rule> rules, double crawlDelaySeconds) {
        /** Everything allowed: no robots.txt (4xx) or no group for us. */
        public static final Rules ALLOW_ALL = new Rules(List.of(), 0);
        /** Nothing allowed: robots.txt unreachable or a server error (RFC 9309 section 2.3.1.4). */
        public static final Rules DISALLOW_ALL = new Rules(List.of(new Rule(false, "/")), 0);

        public Rules {
            rules = List.copyOf(rules);
        }

        /**
         * Whether {@code pathAndQuery} (from "/", percent-encoded) may be fetched: the rule with the
         * longest pattern that matches wins, an allow rule winning a tie; no match allows.
         * {@code /robots.txt} itself is always allowed.
         */
        public boolean allows(String pathAndQuery) {
            String path = canonical(pathAndQuery.isEmpty() ? "/" : pathAndQuery);
            if (path.equals("/robots.txt")) {
                return true;
            }
            int bestLength = -1;
            boolean allowed = true;
            for (Rule r : rules) {
                int len = r.pattern.length();
                if (len < bestLength || (len == bestLength && allowed) || !r.matches(path)) {
                    continue;
                }
                bestLength = len;
                allowed = r.allow;
            }
            return allowed;
        }
    }

    /** One allow or disallow line; {@code pattern} percent-encoded, with {@code *} and a final {@code $}. */
    public record Rule(boolean allow, String pattern) {
        public Rule {
            pattern = canonical(pattern);
        }

        /** Whether the pattern matches a prefix of {@code path} (all of it with a final {@code $}). */
        boolean matches(String path) {
            boolean anchored = pattern.endsWith("$");
            String p = anchored ? pattern.substring(0, pattern.length() - 1) : pattern;
            return glob(p, 0, path, 0, anchored);
        }

        /**
         * Wildcard matching by the usual greedy scan with one backtrack point (the last star):
         * linear in practice, never exponential, whatever a hostile robots.txt contains.
         */
        private static boolean glob(String p, int pi, String s, int si, boolean anchored) {
            int star = -1;
            int starS = 0;
            while (true) {
                if (pi == p.length() && (!anchored || si == s.length())) {
                    return true; // an unanchored pattern matches a prefix
                }
                if (pi < p.length() && p.charAt(pi) == '*') {
                    star = pi++;
                    starS = si;
                } else if (pi < p.length() && si < s.length() && p.charAt(pi) == s.charAt(si)) {
                    pi++;
                    si++;
                } else if (star >= 0 && starS < s.length()) {
                    pi = star + 1;
                    si = ++starS;
                } else {
                    return false;
                }
            }
        }
    }

    private record Group(List<String> agents, List<Rule> rules, double crawlDelay) {}

    private final List<Group> groups;

    private RobotsTxt(List<Group> groups) {
        this.groups = groups;
    }

    /** Parses the text of a robots.txt; never throws on content (unknown lines are skipped). */
    public static RobotsTxt parse(String text) {
        List<Group> groups = new ArrayList<>();
        List<String> agents = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        double delay = 0;
        boolean inRules = false;
        for (String raw : text.split("\r\n|\r|\n", -1)) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            if (key.equals("user-agent")) {
                if (inRules) { // a user-agent line after rules starts the next group
                    groups.add(new Group(agents, rules, delay));
                    agents = new ArrayList<>();
                    rules = new ArrayList<>();
                    delay = 0;
                    inRules = false;
                }
                agents.add(value.toLowerCase(Locale.ROOT));
            } else if (key.equals("allow") || key.equals("disallow") || key.equals("crawl-delay")) {
                if (agents.isEmpty()) {
                    continue; // a rule outside any group
                }
                inRules = true;
                if (key.equals("crawl-delay")) {
                    try {
                        double d = Double.parseDouble(value);
                        if (d >= 0 && Double.isFinite(d)) {
                            delay = d;
                        }
                    } catch (NumberFormatException ignored) {
                        // an unreadable delay is no delay, as other crawlers read it
                    }
                } else if (!value.isEmpty()) { // "Disallow:" with no path allows everything: no rule
                    rules.add(new Rule(key.equals("allow"), value));
                }
            } else if (!key.equals("sitemap")) {
                // other records (host, noindex, ...) neither close a group nor add to it
                continue;
            }
        }
        if (!agents.isEmpty()) {
            groups.add(new Group(agents, rules, delay));
        }
        return new RobotsTxt(List.copyOf(groups));
    }

    /** The rules that apply to a crawler whose product token is {@code productToken}. */
    public Rules rulesFor(String productToken) {
        String token = productToken.toLowerCase(Locale.ROOT);
        String best = null;
        for (Group g : groups) {
            for (String a : g.agents) {
                String name = a.contains("/") ? a.substring(0, a.indexOf('/')).strip() : a; // "foobot/1.0"
                if (!name.isEmpty() && !name.equals("*") && token.startsWith(name)
                        && (best == null || name.length() > best.length())) {
                    best = name;
                }
            }
        }
        List<Rule> rules = new ArrayList<>();
        double delay = 0;
        boolean matched = false;
        for (Group g : groups) {
            for (String a : g.agents) {
                String name = a.contains("/") ? a.substring(0, a.indexOf('/')).strip() : a;
                if (best == null ? name.equals("*") : name.equals(best)) {
                    matched = true;
                    rules.addAll(g.rules);
                    delay = Math.max(delay, g.crawlDelay);
                    break;
                }
            }
        }
        return matched ? new Rules(rules, delay) : Rules.ALLOW_ALL;
    }

    /**
     * The octets of a path or pattern in one spelling: non-ASCII characters percent-encoded as
     * UTF-8 and escapes in upper-case hex, so "/foo/bar/ツ" and "/foo/bar/%e3%83%84" compare equal
     * (RFC 9309 section 2.2.2). Escapes are not decoded: "%62" and "b" stay different, as the RFC's
     * table has them.
     */
    static String canonical(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2))) {
                sb.append('%').append(Character.toUpperCase(s.charAt(i + 1))).append(Character.toUpperCase(s.charAt(i + 2)));
                i += 2;
            } else if (c >= 0x80 || c <= ' ') {
                int cp = s.codePointAt(i);
                if (Character.charCount(cp) == 2) {
                    i++;
                }
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0 && c < 128;
    }
}
