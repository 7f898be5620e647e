package dev.kiln.apps.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.apps.KilnCli;
import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(30)
class CrawlCommandTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cmd = KilnCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String body = switch (path) {
            case "/" -> "<title>Start</title><p>First page.</p><a href=\"/second\">next</a>";
            case "/second" -> "<p>Second page.</p>";
            default -> null;
        };
        byte[] bytes = (body == null ? "no" : body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
        ex.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    @Test
    void crawlsWritesJsonlAndResumes() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", CrawlCommandTest::handle);
        server.start();
        try {
            String seed = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            Path out = dir.resolve("site.jsonl");
            Run r = run("data", "crawl", "--seed", seed, "--out", out.toString(), "--delay-ms", "5");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().contains("FETCHED"), r.out());
            assertTrue(r.out().contains("crawl done: 2 records"), r.out());
            List<Object> records = JsonFiles.readLines(out);
            assertEquals(2, records.size());
            Map<?, ?> first = (Map<?, ?>) records.get(0);
            assertEquals(seed, first.get("url"));
            assertEquals("Start", first.get("title"));
            assertEquals("First page.\n\nnext", first.get("text"));
            assertTrue(Files.exists(out.resolveSibling("site.jsonl.state.json")));

            Run again = run("data", "crawl", "--seed", seed, "--out", out.toString());
            assertEquals(1, again.exitCode());
            assertTrue(again.err().contains("--resume"), again.err());

            Run resumed = run("data", "crawl", "--seed", seed, "--out", out.toString(), "--resume", "--quiet");
            assertEquals(0, resumed.exitCode(), resumed.err());
            assertTrue(resumed.out().contains("crawl done: 2 records"), resumed.out());
            assertEquals(2, JsonFiles.readLines(out).size(), "nothing fetched or written twice");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void badSeedIsAUsageError() {
        Run r = run("data", "crawl", "--seed", "mailto:x@y.z", "--out", dir.resolve("x.jsonl").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("mailto:x@y.z"), r.err());
    }
}
