package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.models.GptConfigJson;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kiln bench quant --run}: a tiny gpt run and its int8 twin written as {@code kiln train} and
 * {@code kiln quantize} write them (checkpoint metadata naming the app), and a tiny cnn run. Checks
 * that the int8 side really runs int8 layers (their count against {@link Quantizer#quantize}'s own
 * report on a separate copy of the model), that both timing rows come out positive, and that
 * mismatched or missing arguments are usage errors naming the option.
 */
class QuantBenchRunTest {
    static final Gpt.Config GPT = new Gpt.Config(24, 16, 1, 64, 2, 2, 128, false, false);
    static final int SIDE = 12;
    static final Pattern ROW = Pattern.compile("(?m)^(generation|inference)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)x$");

    @TempDir
    static Path root;
    static Path gpt;
    static Path gptInt8;
    static Path cnn;

    @BeforeAll
    static void writeRuns() throws IOException {
        Map<String, String> gptMeta = Map.of("model", "kiln train gpt: test, characters", "config",
                JsonFiles.write(GptConfigJson.toJson(GPT)));
        gpt = Files.createDirectories(root.resolve("gpt"));
        Safetensors.saveModule(gpt.resolve("model.safetensors"), new Gpt(GPT, new Generator(5)), gptMeta);
        Gpt twin = new Gpt(GPT, new Generator(5));
        Quantizer.quantize(twin);
        gptInt8 = Files.createDirectories(root.resolve("gpt-int8"));
        Quantizer.save(gptInt8.resolve("model.safetensors"), twin, gptMeta);

        cnn = Files.createDirectories(root.resolve("cnn"));
        Safetensors.saveModule(cnn.resolve("model.safetensors"), ConvNet.build(SIDE, SIDE, new Generator(6)),
                Map.of("model", "kiln train cnn: test", "input_height", "12", "input_width", "12"));
    }

    record Result(int exitCode, String out, String err) {}

    static Result bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new QuantBench()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static final String[] QUICK = {"--skip-gemm", "--samples", "1", "--min-time", "0.001", "--warmup", "0", "--threads", "1"};

    static String[] quick(String... more) {
        String[] all = java.util.Arrays.copyOf(QUICK, QUICK.length + more.length);
        System.arraycopy(more, 0, all, QUICK.length, more.length);
        return all;
    }

    static void assertPositiveRow(String output, String name) {
        Matcher m = ROW.matcher(output);
        assertTrue(m.find(), "no timing row in:\n" + output);
        assertEquals(name, m.group(1), output);
        for (int g = 2; g <= 4; g++) {
            assertTrue(Double.parseDouble(m.group(g)) > 0, output);
        }
    }

    @Test
    void trainedGptAgainstItsQuantizedRun() {
        int expected = Quantizer.quantize(new Gpt(GPT, new Generator(0))).linear().size();
        Result r = bench(quick("--run", gpt.toString(), "--int8-run", gptInt8.toString(), "--prompt", "3", "--tokens", "5"));
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("; " + expected + " int8 Linear layers (" + gptInt8 + ")"), r.out());
        assertTrue(r.out().contains("1 layers, width 64, 2 heads, vocab 24"), r.out());
        assertPositiveRow(r.out(), "generation");
    }

    @Test
    void trainedCnnQuantizedInMemory() {
        Quantizer.Report expected = Quantizer.quantize(ConvNet.build(SIDE, SIDE, new Generator(0)));
        Result r = bench(quick("--run", cnn.toString(), "--batch", "4"));
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("dynamic activations (" + expected.linear().size() + " Linear, "
                + expected.conv2d().size() + " Conv2d); batches of 4 images 12x12"), r.out());
        assertPositiveRow(r.out(), "inference");
    }

    @Test
    void mismatchedArgumentsAreUsageErrors() {
        Result alone = bench(quick("--int8-run", gptInt8.toString()));
        assertEquals(2, alone.exitCode(), alone.out());
        assertTrue(alone.err().contains("--int8-run needs --run"), alone.err());

        Result mixed = bench(quick("--run", gpt.toString(), "--int8-run", cnn.toString()));
        assertEquals(2, mixed.exitCode(), mixed.out());
        assertTrue(mixed.err().contains(cnn + " is not a kiln train gpt run like --run"), mixed.err());

        Result tooLong = bench(quick("--run", gpt.toString(), "--prompt", "10", "--tokens", "7"));
        assertEquals(2, tooLong.exitCode(), tooLong.out());
        assertTrue(tooLong.err().contains("--prompt + --tokens = 17 exceeds the run's context of 16 tokens"), tooLong.err());

        Result empty = bench(quick("--run", root.resolve("nothing").toString()));
        assertEquals(2, empty.exitCode(), empty.out());
        assertTrue(empty.err().contains("has no model.safetensors"), empty.err());
    }
}
