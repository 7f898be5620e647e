package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported files pass {@code onnx.checker.check_model(full_check=True)} of the onnx Python
 * package (Debian python3-onnx), an independent reading of the spec; skipped where it is not installed.
 */
class OnnxCheckerTest {
    static final String PYTHON = "/usr/bin/python3";
    private static Boolean available;

    @TempDir
    Path tmp;

    static synchronized boolean available() {
        if (available == null) {
            try {
                available = python("import onnx").exit() == 0;
            } catch (IOException e) {
                available = false;
            }
        }
        return available;
    }

    record Outcome(int exit, String output) {}

    static Outcome python(String script, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(PYTHON, "-c", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(-1, "timed out");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        }
        return new Outcome(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static Outcome checker(ModelProto model, Path file) throws IOException {
        OnnxGraph.write(model, file);
        return python("import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')",
                file.toString());
    }

    /** Runs the checker on {@code model} when onnx is importable; a failure names the checker's message. */
    static void checkIfAvailable(ModelProto model, Path file) throws IOException {
        if (!available()) {
            return;
        }
        Outcome o = checker(model, file);
        assertEquals(0, o.exit(), "onnx.checker rejected " + file.getFileName() + ": " + o.output());
    }

    @Test
    void exportedCnnPassesTheChecker() throws IOException {
        assumeTrue(available(), "the onnx Python package is not installed (apt-get install python3-onnx)");
        ModelProto model = OnnxExport.model("cnn", OnnxExportTest.cnn(new Generator(7)), Map.of(),
                OnnxExportTest.dims("batch", 1, 28, 28), OnnxExportTest.dims("batch", 10));
        Outcome o = checker(model, tmp.resolve("cnn.onnx"));
        assertEquals(0, o.exit(), o.output());
    }

    /** The checker can fail: a node that reads a value nothing defines is rejected. */
    @Test
    void checkerRejectsABrokenGraph() throws IOException {
        assumeTrue(available(), "the onnx Python package is not installed (apt-get install python3-onnx)");
        ModelProto model = OnnxExport.model("m", new Sequential(new Linear(2, 2)), Map.of(),
                OnnxExportTest.dims("batch", 2), OnnxExportTest.dims("batch", 2));
        ModelProto.Builder b = model.toBuilder();
        b.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("Relu").addInput("nowhere").addOutput("dangling"));
        Outcome o = checker(b.build(), tmp.resolve("broken.onnx"));
        assertNotEquals(0, o.exit(), o.output());
    }
}
