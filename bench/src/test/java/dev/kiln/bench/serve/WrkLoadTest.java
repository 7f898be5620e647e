package dev.kiln.bench.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.serve.ModelServer;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.ServedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Debian's wrk driven by {@link WrkLoad} against a live server on loopback, about a second of load:
 * what wrk counted against the server's own request counter, 0 errors, ordered percentiles; and
 * refused requests counted as errors. Skipped where wrk is not installed (it is optional).
 */
class WrkLoadTest {
    @Test
    void countsAddUpAgainstALiveServer() throws Exception {
        Optional<Path> wrk = WrkLoad.find();
        assumeTrue(wrk.isPresent(), "wrk is not installed");
        ServedModel model = LoadGeneratorTest.tinyModel();
        byte[] body = BenchModel.requestBody(BenchModel.images(model, 2, 5));
        try (ModelServer server = LoadGeneratorTest.serve(new BatchingOptions(8, 2, 64))) {
            LoadResult r = new WrkLoad(wrk.get(), LoadGeneratorTest.infer(server)).run(body, 2, 4, 0, 1_000_000_000L);
            assertEquals(0, r.errors(), "errors, first: " + r.firstError());
            assertTrue(r.requests() > 0, "no request completed");
            double served = LoadGeneratorTest.serverCount(server, "200");
            // wrk abandons up to one request per connection when its run ends; the server answers them anyway.
            assertTrue(served >= r.requests() && served <= r.requests() + 4, "server answered " + served + ", wrk counted "
                    + r.requests());
            assertTrue(r.windowNanos() >= 900_000_000L, "window " + r.windowNanos() + " ns");
            assertTrue(r.percentileMs(50) > 0 && r.percentileMs(50) <= r.percentileMs(90)
                    && r.percentileMs(90) <= r.percentileMs(99) && r.percentileMs(99) <= r.percentileMs(100),
                    "percentiles in order: " + r.reportedPercentilesMs());
            assertEquals(2 * r.requestsPerSecond(), r.examplesPerSecond(), 1e-9 * r.examplesPerSecond());
        }
    }

    @Test
    void binaryBodiesGoFromTheLuaScriptWithTheirHeader() throws Exception {
        Optional<Path> wrk = WrkLoad.find();
        assumeTrue(wrk.isPresent(), "wrk is not installed");
        InferBody body = BenchModel.binaryRequestBody(BenchModel.images(LoadGeneratorTest.tinyModel(), 1, 5));
        try (ModelServer server = LoadGeneratorTest.serve(new BatchingOptions(8, 2, 64))) {
            LoadResult r = new WrkLoad(wrk.get(), LoadGeneratorTest.infer(server)).run(body, 1, 2, 0, 1_000_000_000L);
            assertEquals(0, r.errors(), "errors, first: " + r.firstError());
            assertTrue(r.requests() > 0, "no request completed");
            assertTrue(LoadGeneratorTest.serverCount(server, "200") >= r.requests(), "the server answered them");
            assertEquals(0, LoadGeneratorTest.serverCount(server, "400"), "refused binary bodies");
        }
    }

    @Test
    void refusedRequestsAreCountedAsErrors() throws Exception {
        Optional<Path> wrk = WrkLoad.find();
        assumeTrue(wrk.isPresent(), "wrk is not installed");
        ServedModel model = LoadGeneratorTest.tinyModel();
        String good = new String(BenchModel.requestBody(BenchModel.images(model, 1, 5)), StandardCharsets.UTF_8);
        byte[] wrongShape = good.replace("\"shape\":[1,1,12,12]", "\"shape\":[1,1,12,13]").getBytes(StandardCharsets.UTF_8);
        try (ModelServer server = LoadGeneratorTest.serve(new BatchingOptions(8, 2, 64))) {
            LoadResult r = new WrkLoad(wrk.get(), LoadGeneratorTest.infer(server)).run(wrongShape, 1, 2, 0, 1_000_000_000L);
            assertTrue(r.errors() > 0, "no errors counted");
            assertEquals(0, r.requests(), "no request succeeded");
            assertTrue(LoadGeneratorTest.serverCount(server, "400") >= r.errors(), "the server refused them");
            assertTrue(r.firstError().contains("not 2xx/3xx"), r.firstError());
        }
    }
}
