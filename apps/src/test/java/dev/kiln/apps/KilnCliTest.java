package dev.kiln.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The kiln command run in-process, with its stdout and stderr captured. */
class KilnCliTest {
    /** Exit code and captured streams of one in-process run. */
    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = KilnCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void versionPrintsKilnAndJdkVersions() {
        Run r = run("--version");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("kiln " + KilnCli.version()), r.out());
        assertTrue(r.out().contains("JDK " + Runtime.version()), r.out());
    }

    @Test
    void helpListsDoctorAndTheLauncherCommands() {
        Run r = run("--help");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("doctor"), r.out());
        assertTrue(r.out().contains("./kiln bench"), r.out());
        assertTrue(r.out().contains("./kiln test"), r.out());
    }

    @Test
    void noSubcommandIsAUsageError() {
        Run r = run();
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("Missing required subcommand"), r.err());
    }

    @Test
    void doctorTextReportsThePreferredSpecies() {
        Run r = run("doctor");
        assertEquals(0, r.exitCode(), r.err());
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        assertTrue(r.out().lines().anyMatch(l -> l.matches("vector species: +" + bits + "-bit, " + lanes + " float lanes.*")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("cuda: +.+")), r.out());
    }

    @Test
    void doctorJsonIsOneObjectWithTheMainKeys() {
        Run r = run("doctor", "--json");
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
