package dev.kiln.data.crawl;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a crawl must remember to resume: the frontier (in order), every URL ever queued, the
 * robots.txt answers per origin, the number of page requests made and of records in the output,
 * and the outcome counts. Not thread-safe: the {@link Crawler} holds its lock while touching it.
 * Saved as JSON, atomically.
 */
final class CrawlState {
    /**
     * A URL waiting to be fetched.
     *
     * @param url what to fetch
     * @param depth links followed from a seed
     * @param origin the URL whose redirect chain this is (itself when not a redirect target)
     * @param hops redirects followed so far
     * @param attempts times it was answered 429/503 already
     */
    record Entry(String url, int depth, String origin, int hops, int attempts) {}

    /** A robots.txt answer worth keeping: the HTTP status and, for 2xx, the body. */
    record Robots(int status, String body) {}

    final Deque<Entry> frontier = new ArrayDeque<>();
    final Set<String> seen = new LinkedHashSet<>();
    final Map<String, Robots> robots = new LinkedHashMap<>();
    final Map<CrawlEvent.Kind, Long> counts = new EnumMap<>(CrawlEvent.Kind.class);
    long pagesRequested;
    long records;

    void count(CrawlEvent.Kind kind) {
        counts.merge(kind, 1L, Long::sum);
    }

    /** Writes the state with {@code inFlight} put back at the head of the frontier (they are not done). */
    void save(Path file, List<Entry> inFlight) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", 1L);
        m.put("pages_requested", pagesRequested - inFlight.size()); // they will be requested again
        m.put("records", records);
        List<Object> f = new ArrayList<>();
        for (Entry e : inFlight) {
            f.add(entry(e));
        }
        for (Entry e : frontier) {
            f.add(entry(e));
        }
        m.put("frontier", f);
        m.put("seen", new ArrayList<>(seen));
        Map<String, Object> r = new LinkedHashMap<>();
        robots.forEach((origin, rb) -> r.put(origin, Map.of("status", (long) rb.status, "body", rb.body)));
        m.put("robots", r);
        Map<String, Object> c = new LinkedHashMap<>();
        counts.forEach((k, v) -> c.put(k.name(), v));
        m.put("counts", c);
        AtomicFiles.writeString(file, JsonFiles.write(m) + "\n");
    }

    /** Reads a state written by {@link #save}; a malformed file gives an error naming it and the field. */
    static CrawlState load(Path file) throws IOException {
        Object root = JsonFiles.read(file);
        if (!(root instanceof Map<?, ?> m) || !Long.valueOf(1).equals(m.get("version"))) {
            throw new IOException("crawl state " + file + ": expected a JSON object with \"version\": 1");
        }
        CrawlState s = new CrawlState();
        s.pagesRequested = number(m, "pages_requested", file);
        s.records = number(m, "records", file);
        for (Object o : list(m, "frontier", file)) {
            if (!(o instanceof Map<?, ?> e)) {
                throw new IOException("crawl state " + file + ": frontier entry " + o + " is not an object");
            }
            s.frontier.add(new Entry(string(e, "url", file), (int) number(e, "depth", file), string(e, "origin", file),
                    (int) number(e, "hops", file), (int) number(e, "attempts", file)));
        }
        for (Object o : list(m, "seen", file)) {
            s.seen.add(String.valueOf(o));
        }
        if (m.get("robots") instanceof Map<?, ?> r) {
            for (Map.Entry<?, ?> e : r.entrySet()) {
                if (e.getValue() instanceof Map<?, ?> rb) {
                    s.robots.put(String.valueOf(e.getKey()),
                            new Robots((int) number(rb, "status", file), string(rb, "body", file)));
                }
            }
        }
        if (m.get("counts") instanceof Map<?, ?> c) {
            for (Map.Entry<?, ?> e : c.entrySet()) {
                try {
                    s.counts.put(CrawlEvent.Kind.valueOf(String.valueOf(e.getKey())), ((Number) e.getValue()).longValue());
                } catch (IllegalArgumentException | ClassCastException ex) {
                    throw new IOException("crawl state " + file + ": bad count " + e.getKey() + "=" + e.getValue(), ex);
                }
            }
        }
        return s;
    }

    private static Map<String, Object> entry(Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", e.url());
        m.put("depth", (long) e.depth());
        m.put("origin", e.origin());
        m.put("hops", (long) e.hops());
        m.put("attempts", (long) e.attempts());
        return m;
    }

    private static long number(Map<?, ?> m, String key, Path file) throws IOException {
        if (m.get(key) instanceof Long v) {
            return v;
        }
        throw new IOException("crawl state " + file + ": \"" + key + "\" should be an integer, got " + m.get(key));
    }

    private static String string(Map<?, ?> m, String key, Path file) throws IOException {
        if (m.get(key) instanceof String v) {
            return v;
        }
        throw new IOException("crawl state " + file + ": \"" + key + "\" should be a string, got " + m.get(key));
    }

    private static List<?> list(Map<?, ?> m, String key, Path file) throws IOException {
        if (m.get(key) instanceof List<?> v) {
            return v;
        }
        throw new IOException("crawl state " + file + ": \"" + key + "\" should be an array, got " + m.get(key));
    }
}
