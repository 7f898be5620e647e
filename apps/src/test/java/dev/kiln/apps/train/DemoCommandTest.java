package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.KilnCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's main job falls back to the synthetic task and still trains to a high accuracy. */
class DemoCommandTest {

    @Test
    void syntheticDemoTrainsAndReportsItsAccuracy(@TempDir Path dir) {
        StringWriter out = new StringWriter();
        int rc = new CommandLine(new KilnCli()).setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()))
                .execute("demo", "--synthetic", "--data-dir", dir.toString(), "--out", dir.resolve("run").toString());
        String text = out.toString();
        assertEquals(0, rc, text);
        assertTrue(text.contains("synthetic 10-class image task"), text);
        Matcher m = Pattern.compile("done in .*: test accuracy ([0-9.]+)%").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Double.parseDouble(m.group(1)) > 90, "synthetic bars are easy: " + m.group(1));
    }
}
