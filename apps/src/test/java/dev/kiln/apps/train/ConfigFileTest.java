package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --config}: JSON and YAML settings files, flags overriding them, and the errors. */
class ConfigFileTest {
    @TempDir
    Path tmp;

    enum Cell { LSTM, GRU }

    @Command(name = "t")
    static final class Settings {
        @Option(names = "--steps") int steps = 10;
        @Option(names = "--lr") double lr = 0.1;
        @Option(names = "--amp") boolean amp;
        @Option(names = "--name") String name = "x";
        @Option(names = "--cell") Cell cell = Cell.LSTM;
        @Option(names = "--out") Path out;
        @Option(names = "--config") Path config;
    }

    private Settings apply(String fileName, String text, String... args) throws IOException {
        Path file = tmp.resolve(fileName);
        Files.writeString(file, text);
        Settings s = new Settings();
        CommandLine cl = new CommandLine(s);
        cl.parseArgs(args);
        ConfigFile.apply(file, cl.getCommandSpec());
        return s;
    }

    @Test
    void yamlSetsEveryKindOfOptionAndFlagsWin() throws IOException {
        Settings s = apply("run.yaml", """
                # comments are fine
                steps: 250
                lr: 1e-3        # no dot: some YAML resolvers read this as a string
                amp: true
                name: 'quoted: value'
                cell: gru
                out: runs/a b
                """, "--steps", "7");
        assertEquals(7, s.steps, "the flag wins over the file");
        assertEquals(1e-3, s.lr);
        assertTrue(s.amp);
        assertEquals("quoted: value", s.name);
        assertEquals(Cell.GRU, s.cell);
        assertEquals(Path.of("runs/a b"), s.out);
    }

    @Test
    void jsonAndYmlGiveTheSameSettings() throws IOException {
        Settings json = apply("run.json", "{\"steps\": 3, \"lr\": 0.5, \"cell\": \"GRU\"}");
        Settings yml = apply("run.yml", "{steps: 3, lr: 0.5, cell: GRU}"); // YAML flow style
        assertEquals(3, json.steps);
        assertEquals(json.steps, yml.steps);
        assertEquals(json.lr, yml.lr);
        assertEquals(json.cell, yml.cell);
    }

    @Test
    void badFilesAreUsageErrorsNamingFileAndKey() {
        String[][] cases = {
            {"a.yaml", "steps: 3\nwidth: 8\n", "unknown setting \"width\""},
            {"b.yaml", "steps: 3\nsteps: 4\n", "duplicate key steps"},
            {"c.yaml", "steps: 2.5\n", "\"steps\": expected a whole number, got 2.5"},
            {"d.yaml", "steps: [1, 2]\n", "\"steps\": expected a whole number, got a list [1, 2]"},
            {"e.yaml", "lr:\n", "\"lr\" has no value"},
            {"f.yaml", "amp: maybe\n", "\"amp\": expected true or false, got \"maybe\""},
            {"g.yaml", "cell: transformer\n", "\"cell\": expected one of [LSTM, GRU], got \"transformer\""},
            {"h.yaml", "- steps\n- lr\n", "expected a YAML mapping of option names to values, got a list"},
            {"i.yaml", "", "got an empty document"},
            {"j.yaml", "steps: [1, 2\n", "not valid YAML"},
            {"k.json", "{\"steps\": 1,}", "not valid JSON"},
            {"l.yaml", "steps: 99999999999\n", "\"steps\": integer overflow"},
            {"m.yaml", "config: other.yaml\n", "unknown setting \"config\""},
        };
        for (String[] c : cases) {
            ParameterException ex = assertThrows(ParameterException.class, () -> apply(c[0], c[1]), c[0]);
            assertTrue(ex.getMessage().startsWith("--config " + tmp.resolve(c[0]) + ": "), ex.getMessage());
            assertTrue(ex.getMessage().contains(c[2]), c[0] + ": " + ex.getMessage());
        }
        ParameterException missing = assertThrows(ParameterException.class, () -> {
            Settings s = new Settings();
            CommandLine cl = new CommandLine(s);
            cl.parseArgs();
            ConfigFile.apply(tmp.resolve("absent.yaml"), cl.getCommandSpec());
        });
        assertTrue(missing.getMessage().endsWith("absent.yaml: no such file"), missing.getMessage());
    }
}
