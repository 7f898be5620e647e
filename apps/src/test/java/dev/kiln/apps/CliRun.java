package dev.kiln.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/** One in-process {@code kiln} invocation (the configured {@link KilnCli#commandLine()}): exit code and both streams. */
public record CliRun(int exitCode, String out, String err) {
    /** Runs {@code kiln args...} in this JVM, capturing stdout and stderr. */
    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = KilnCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The one line of stderr, after checking that there is exactly one and no stack frame. */
    public String errorLine() {
        List<String> lines = err.lines().toList();
        assertEquals(1, lines.size(), "exactly one line on stderr, got:\n" + err + "\nstdout:\n" + out);
        assertFalse(err.contains("\tat "), "no stack trace without --verbose:\n" + err);
        return lines.getFirst();
    }
}
