package dev.kiln.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The kiln command run in-process, with its stdout and stderr captured. */
class KilnCliTest {
    /** Exit code and captured streams of one in-process run. */
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void versionPrintsKilnAndJdkVersions() {
        CliRun r = run("--version");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("kiln " + KilnCli.version()), r.out());
        assertTrue(r.out().contains("JDK " + Runtime.version()), r.out());
    }

    @Test
    void helpListsDoctorAndTheLauncherCommands() {
        CliRun r = run("--help");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("doctor"), r.out());
        assertTrue(r.out().contains("./kiln bench"), r.out());
        assertTrue(r.out().contains("./kiln test"), r.out());
    }

    /** Every command's help, depth first: the command's name path and its usage text. */
    private static java.util.Map<String, String> allHelp(CommandLine cl, String name, java.util.Map<String, String> into) {
        into.put(name, cl.getUsageMessage(CommandLine.Help.Ansi.OFF));
        for (var e : cl.getSubcommands().entrySet()) {
            if (!e.getKey().equals("help")) {
                allHelp(e.getValue(), name + " " + e.getKey(), into);
            }
        }
        return into;
    }

    @Test
    void helpNeverBreaksALineInsideAPath() {
        java.util.Map<String, String> help = allHelp(KilnCli.commandLine(), "kiln", new java.util.LinkedHashMap<>());
        assertTrue(help.keySet().containsAll(java.util.List.of("kiln train cnn", "kiln train gpt", "kiln eval", "kiln data fetch")),
                help.keySet().toString());
        // the paths users copy from the help, each of which picocli's own wrapping used to split somewhere
        java.util.List<String> paths = java.util.List.of("~/.kiln/data", "runs/<app>-<yyyyMMdd-HHmmss>", "model.safetensors",
                "RUN_DIR/eval", "DIR/tokenizer.json", "metrics.jsonl", "curves.png");
        java.util.regex.Pattern pathEnd = java.util.regex.Pattern.compile("\\S+[/\\-]|\\S*/\\.");
        for (var e : help.entrySet()) {
            String text = e.getValue();
            String joined = text.replaceAll("\\s*\\R\\s*", "");
            for (String p : paths) {
                if (joined.contains(p)) {
                    assertTrue(text.contains(p), e.getKey() + " --help breaks " + p + " across lines:\n" + text);
                }
            }
            java.util.List<String> lines = text.lines().toList();
            for (int i = 0; i + 1 < lines.size(); i++) {
                String[] words = lines.get(i).strip().split("\\s+");
                String last = words[words.length - 1];
                String next = lines.get(i + 1).strip();
                boolean pathLike = pathEnd.matcher(last).matches(); // "~/.", "runs/<app>-", "DIR/": a path cut short
                assertTrue(!pathLike || next.isEmpty() || !Character.isLetterOrDigit(next.charAt(0)),
                        e.getKey() + " --help line " + (i + 1) + " ends inside a path: '" + last + "' / '" + next + "'");
                assertTrue(lines.get(i).length() <= HelpLayout.WIDTH, e.getKey() + " line too wide: " + lines.get(i));
            }
        }
    }

    @Test
    void evalHelpNamesEveryAppItEvaluates() {
        CliRun r = run("eval", "--help");
        assertEquals(0, r.exitCode(), r.err());
        for (String app : new String[] {"cnn", "rnn", "gpt", "seq2seq", "classify"}) {
            assertTrue(r.out().contains(app), app + " missing from kiln eval --help:\n" + r.out());
        }
    }

    @Test
    void countsAreSingularForOne() {
        assertEquals("1 epoch", Plural.of(1, "epoch"));
        assertEquals("2 epochs", Plural.of(2, "epoch"));
        assertEquals("0 steps", Plural.of(0, "step"));
        assertEquals("1 entry", Plural.of(1, "entry", "entries"));
    }

    @Test
    void wrappingBreaksOnlyAtSpaces() {
        assertEquals(java.util.List.of("default: $KILN_DATA or", "~/.kiln/data)."), HelpLayout.wrap("default: $KILN_DATA or ~/.kiln/data).", 24));
        assertEquals(java.util.List.of("  aligned    columns"), HelpLayout.wrap("  aligned    columns", 40));
    }

    @Test
    void noSubcommandIsAUsageError() {
        CliRun r = run();
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("Missing required subcommand"), r.err());
    }

    @Test
    void doctorTextReportsThePreferredSpecies() {
        CliRun r = run("doctor");
        assertEquals(0, r.exitCode(), r.err());
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        assertTrue(r.out().lines().anyMatch(l -> l.matches("vector species: +" + bits + "-bit, " + lanes + " float lanes.*")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("cuda: +.+")), r.out());
    }

    @Test
    void doctorJsonIsOneObjectWithTheMainKeys() {
        CliRun r = run("doctor", "--json");
        assertEquals(0, r.exitCode(), r.err());
        String json = r.out().strip();
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        assertBalanced(json);
        for (String key : new String[] {"jdk", "vectorSpecies", "cores", "cuda"}) {
            assertTrue(json.contains("\"" + key + "\":{"), () -> key + " missing in " + json);
        }
        assertTrue(json.contains("\"vectorSpecies\":{\"bits\":" + FloatVector.SPECIES_PREFERRED.vectorBitSize() + ","),
                json);
    }

    @Test
    void jsonEscapesQuotesBackslashesAndControls() {
        assertEquals("{\"a\\\"b\":[\"c\\\\d\\n\",null,1,true]}",
                dev.kiln.data.io.JsonFiles.write(java.util.Map.of("a\"b", java.util.Arrays.asList("c\\d\n", null, 1, true))));
        assertEquals("\"\\u0001\"", dev.kiln.data.io.JsonFiles.write("\u0001"));
    }

    /** Braces and brackets outside strings nest properly and close at the end. */
    private static void assertBalanced(String json) {
        StringBuilder stack = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                stack.append(c == '{' ? '}' : ']');
            } else if (c == '}' || c == ']') {
                assertTrue(!stack.isEmpty() && stack.charAt(stack.length() - 1) == c, () -> "unbalanced at " + json);
                stack.setLength(stack.length() - 1);
                assertTrue(!stack.isEmpty() || i == json.length() - 1, () -> "more than one value: " + json);
            }
        }
        assertTrue(stack.isEmpty() && !inString, () -> "unterminated: " + json);
    }
}
