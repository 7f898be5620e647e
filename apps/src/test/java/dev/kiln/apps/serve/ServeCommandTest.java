package dev.kiln.apps.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln serve}'s refusals before it listens: one line naming the problem, exit code 2. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aRunDirectoryWithoutAModelIsAUsageError() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliRun r = CliRun.of("serve", empty.toString(), "--port", "0");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("has no model.safetensors"), r.err());
    }

    @Test
    void badBatchingOptionsAreUsageErrors() throws Exception {
        CliRun r = CliRun.of("serve", tmp.toString(), "--max-batch-size", "0");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("max_batch_size must be >= 1, got 0"), r.err());
        CliRun p = CliRun.of("serve", tmp.toString(), "--port", "70000");
        assertEquals(2, p.exitCode(), p.err());
        assertTrue(p.errorLine().contains("--port must be in [0, 65535], got 70000"), p.err());
    }

    @Test
    void badTimeoutsAreUsageErrors() throws Exception {
        CliRun r = CliRun.of("serve", tmp.toString(), "--request-timeout-ms", "-5");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.errorLine().contains("--request-timeout-ms must be >= 0, got -5"), r.err());
        CliRun d = CliRun.of("serve", tmp.toString(), "--drain-timeout-ms", "-1");
        assertEquals(2, d.exitCode(), d.err());
        assertTrue(d.errorLine().contains("--drain-timeout-ms must be >= 0, got -1"), d.err());
    }
}
