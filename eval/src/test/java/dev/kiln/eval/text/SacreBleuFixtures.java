package dev.kiln.eval.text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code sacrebleu_fixtures.txt} (written by {@code eval/src/test/python/bleu_fixtures.py}):
 * tab-separated records whose texts are ASCII JSON string literals. The eval module has no JSON
 * library, and these literals only need the string escapes, so they are decoded here.
 */
final class SacreBleuFixtures {
    record Tokenization(String input, String expected) {}

    /** One scored line: "bleu" or "chrf", its options (JSON values by name) and results (raw text by name). */
    record Scored(String metric, Map<String, String> options, Map<String, String> results) {}

    record Corpus(String name, List<String> hypotheses, List<List<String>> referenceStreams, List<Scored> scored) {}

    final List<Tokenization> tokenizations = new ArrayList<>();
    final List<Corpus> corpora = new ArrayList<>();

    static SacreBleuFixtures load() throws IOException {
        String text;
        try (InputStream in = SacreBleuFixtures.class.getResourceAsStream("sacrebleu_fixtures.txt")) {
            if (in == null) {
                throw new IOException("sacrebleu_fixtures.txt is not on the test class path; run eval/src/test/python/bleu_fixtures.py");
            }
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        SacreBleuFixtures f = new SacreBleuFixtures();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            String where = "sacrebleu_fixtures.txt:" + lineNo;
            switch (fields[0]) {
                case "tok13a" -> f.tokenizations.add(new Tokenization(string(fields[1], where), string(fields[2], where)));
                case "corpus" -> {
                    List<List<String>> streams = new ArrayList<>();
                    for (int s = 0; s < Integer.parseInt(fields[3]); s++) {
                        streams.add(new ArrayList<>());
                    }
                    f.corpora.add(new Corpus(fields[1], new ArrayList<>(), streams, new ArrayList<>()));
                }
                case "hyp" -> f.corpora.getLast().hypotheses().add(string(fields[1], where));
                case "ref" -> f.corpora.getLast().referenceStreams().get(Integer.parseInt(fields[1])).add(string(fields[2], where));
                case "bleu", "chrf" -> {
                    Map<String, String> options = keyValues(fields[1]);
                    Map<String, String> results = new LinkedHashMap<>();
                    for (int i = 2; i < fields.length; i++) {
                        results.putAll(keyValues(fields[i]));
                    }
                    f.corpora.getLast().scored().add(new Scored(fields[0], options, results));
                }
                default -> throw new IOException(where + ": unknown record '" + fields[0] + "'");
            }
        }
        return f;
    }

    private static Map<String, String> keyValues(String field) {
        Map<String, String> m = new LinkedHashMap<>();
        if (!field.isEmpty()) {
            for (String kv : field.split(" ")) {
                int eq = kv.indexOf('=');
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    /** A JSON string literal ({@code "..."} with \" \\ \/ \b \f \n \r \t \\uXXXX escapes), or {@code null}. */
    static String string(String literal, String where) throws IOException {
        if (literal.equals("null")) {
            return null;
        }
        if (literal.length() < 2 || literal.charAt(0) != '"' || literal.charAt(literal.length() - 1) != '"') {
            throw new IOException(where + ": expected a JSON string literal, found " + literal);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < literal.length() - 1; i++) {
            char c = literal.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = literal.charAt(++i);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(literal.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> throw new IOException(where + ": bad escape \\" + e + " in " + literal);
            }
        }
        return sb.toString();
    }
}
