package dev.kiln.apps.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.apps.CliRun;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.tensor.random.Generator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln serve} with several versions of a model ({@code NAME:VERSION=RUN_DIR}), a
 * {@code --traffic} split and token files, as a live child process; and the refusals of bad
 * {@code --traffic}, version and token-file arguments (one line naming the option, exit code 2,
 * before any model is read).
 */
class ServeVersionsTest {
    static final int SIDE = 12;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String USER = "user-token-1";
    static final String ADMIN = "admin-token-2";

    @TempDir
    Path tmp;

    static Path cnnRun(Path dir, long seed) throws Exception {
        Files.createDirectories(dir);
        Safetensors.saveModule(dir.resolve("model.safetensors"), ConvNet.build(SIDE, SIDE, new Generator(seed)),
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", "input_mean", "0.3", "input_std", "0.25",
                        "input_height", Integer.toString(SIDE), "input_width", Integer.toString(SIDE)));
        return dir;
    }

    static String imageRequest() {
        StringJoiner data = new StringJoiner(",", "[", "]");
        for (int i = 0; i < SIDE * SIDE; i++) {
            data.add(Float.toString((i % 13) / 13f));
        }
        return "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1,1," + SIDE + "," + SIDE + "],\"data\":" + data + "}]}";
    }

    @Test
    void servesTwoVersionsWithATrafficSplitBehindTokenFiles() throws Exception {
        Path runA = cnnRun(tmp.resolve("a"), 7);
        Path runB = cnnRun(tmp.resolve("b"), 8);
        Path userToken = Files.writeString(tmp.resolve("user.token"), USER + "\n"); // as `echo TOKEN > file` writes it
        Path adminToken = Files.writeString(tmp.resolve("admin.token"), ADMIN);
        Path stderr = tmp.resolve("stderr.txt");
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.kiln.apps.KilnCli", "serve",
                "fashion:1=" + runA, "fashion:2=" + runB, "--traffic", "fashion=1:90,2:10", "--max-delay-ms", "0",
                "--auth-token-file", userToken.toString(), "--admin-token-file", adminToken.toString(), "--port", "0"));
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newHttpClient()) {
            String line = out.readLine();
            assertTrue(line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"), line + "\n" + Files.readString(stderr));
            String base = line.substring("listening on ".length());

            assertEquals(401, send(client, base, "GET", "/v2/models/fashion", null, null).statusCode());
            assertEquals(200, send(client, base, "GET", "/v2/health/ready", null, null).statusCode(), "probes need no token");
            HttpResponse<String> meta = send(client, base, "GET", "/v2/models/fashion", USER, null);
            assertEquals(200, meta.statusCode(), meta.body());
            assertEquals("[\"1\",\"2\"]", JSON.readTree(meta.body()).get("versions").toString());
            assertEquals(200, send(client, base, "GET", "/v2/models/fashion/versions/2", USER, null).statusCode());

            String body = imageRequest();
            JsonNode one = JSON.readTree(send(client, base, "POST", "/v2/models/fashion/versions/1/infer", USER, body).body());
            JsonNode two = JSON.readTree(send(client, base, "POST", "/v2/models/fashion/versions/2/infer", USER, body).body());
            assertEquals("1", one.get("model_version").asText(), one.toString());
            assertEquals("2", two.get("model_version").asText(), two.toString());
            assertNotEquals(one.get("outputs").get(0).get("data"), two.get("outputs").get(0).get("data"),
                    "the two versions are the two run directories");

            HttpResponse<String> forbidden = send(client, base, "GET", "/admin/models", USER, null);
            assertEquals(403, forbidden.statusCode(), "the auth token is not the admin token: " + forbidden.body());
            HttpResponse<String> admin = send(client, base, "GET", "/admin/models", ADMIN, null);
            assertEquals(200, admin.statusCode(), admin.body());
            JsonNode fashion = JSON.readTree(admin.body()).get("models").get(0);
            assertEquals("{\"1\":90.0,\"2\":10.0}", fashion.get("traffic").toString(), admin.body());

            int onTwo = 0;
            for (int u = 0; u < 100; u++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v2/models/fashion/infer"))
                        .header("Authorization", "Bearer " + USER).header("X-User-Id", "user-" + u)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                onTwo += JSON.readTree(r.body()).get("model_version").asText().equals("2") ? 1 : 0;
            }
            // These 100 user ids hash the same way every run; 10 ± 15 is binomial(100, 0.1)'s 5-sigma band.
            assertTrue(onTwo > 0 && onTwo <= 25, onTwo + " of 100 users on version 2 under --traffic fashion=1:90,2:10");
        } finally {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kiln serve did not stop");
        }
        assertFalse(Files.readString(stderr).contains(USER) || Files.readString(stderr).contains(ADMIN), "tokens are never printed");
    }

    private static HttpResponse<String> send(HttpClient client, String base, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void badTrafficValuesAreUsageErrorsNamingTheFlag() throws Exception {
        // The run directories are empty: every refusal must come before a model is read.
        String a = "fashion:1=" + Files.createDirectories(tmp.resolve("a"));
        String b = "fashion:2=" + Files.createDirectories(tmp.resolve("b"));
        String[][] cases = {
            {"fashion=1-90", "--traffic: expected NAME=VERSION:WEIGHT[,VERSION:WEIGHT...], got \"fashion=1-90\""},
            {"1:90,2:10", "--traffic: expected NAME=VERSION:WEIGHT[,VERSION:WEIGHT...], got \"1:90,2:10\""},
            {"fashion=1:90,", "--traffic: expected NAME=VERSION:WEIGHT[,VERSION:WEIGHT...], got \"fashion=1:90,\""},
            {"shoes=1:90", "--traffic shoes=1:90: expected the name of a served model, got \"shoes\"; served: [fashion]"},
            {"fashion=1:90,3:10", "--traffic fashion=1:90,3:10: expected a version of \"fashion\" given on the command line [1, 2], got \"3\""},
            {"fashion=1:ninety", "--traffic fashion=1:ninety: expected a weight >= 0 for version 1, got \"ninety\""},
            {"fashion=1:-5,2:10", "--traffic fashion=1:-5,2:10: expected a weight >= 0 for version 1, got \"-5\""},
            {"fashion=1:NaN", "--traffic fashion=1:NaN: expected a weight >= 0 for version 1, got \"NaN\""},
            {"fashion=1:Infinity", "--traffic fashion=1:Infinity: expected a weight >= 0 for version 1, got \"Infinity\""},
            {"fashion=1:0,2:0", "--traffic fashion=1:0,2:0: traffic: expected weights with a finite sum > 0"},
            {"fashion=1:5,1:5", "--traffic fashion=1:5,1:5: expected each version once, got \"1\" twice"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of("serve", a, b, "--traffic", c[0], "--port", "0");
            assertEquals(2, r.exitCode(), c[0] + ": " + r.err());
            assertTrue(r.errorLine().contains(c[1]), "expected \"" + c[1] + "\" in: " + r.err());
        }
        CliRun twice = CliRun.of("serve", a, b, "--traffic", "fashion=1:1", "--traffic", "fashion=2:1", "--port", "0");
        assertEquals(2, twice.exitCode(), twice.err());
        assertTrue(twice.errorLine().contains("expected one --traffic per model, got a second for \"fashion\""), twice.err());
    }

    @Test
    void badVersionsAndTokenFilesAreUsageErrors() throws Exception {
        String dir = Files.createDirectories(tmp.resolve("a")).toString();
        Path user = Files.writeString(tmp.resolve("user.token"), "same-token\n");
        Path same = Files.writeString(tmp.resolve("same.token"), "same-token");
        Path empty = Files.writeString(tmp.resolve("empty.token"), "\n");
        Path spaced = Files.writeString(tmp.resolve("spaced.token"), "two words");
        String[][] cases = {
            {"fashion:1 2=" + dir, "[NAME[:VERSION]=]RUN_DIR: expected a NAME and VERSION of [A-Za-z0-9_.-]+, got \"fashion:1 2="},
            {"fashion:=" + dir, "[NAME[:VERSION]=]RUN_DIR: expected a NAME and VERSION of [A-Za-z0-9_.-]+, got \"fashion:="},
            {"--auth-token-file=" + tmp.resolve("missing.token"), "--auth-token-file: cannot read " + tmp.resolve("missing.token")},
            {"--auth-token-file=" + empty, "--auth-token-file: expected a bearer token of letters, digits and ._~+/- (RFC 6750), got an empty one"},
            {"--admin-token-file=" + spaced, "--admin-token-file: expected a bearer token of letters, digits and ._~+/- (RFC 6750), "
                + "got one with other characters (9 characters) in " + spaced},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("serve", c[0].startsWith("--") ? "fashion=" + dir : c[0], "--port", "0"));
            if (c[0].startsWith("--")) {
                args.add(c[0]);
            }
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), c[0] + ": " + r.err());
            assertTrue(r.errorLine().contains(c[1]), "expected \"" + c[1] + "\" in: " + r.err());
        }
        CliRun twice = CliRun.of("serve", "fashion:1=" + dir, "fashion:1=" + dir, "--port", "0");
        assertEquals(2, twice.exitCode(), twice.err());
        assertTrue(twice.errorLine().contains("expected each version of a model once, got fashion:1 twice"), twice.err());
        CliRun sameTokens = CliRun.of("serve", "fashion=" + dir, "--auth-token-file", user.toString(), "--admin-token-file", same.toString());
        assertEquals(2, sameTokens.exitCode(), sameTokens.err());
        assertTrue(sameTokens.errorLine().contains("--admin-token-file: expected a token other than --auth-token-file's"), sameTokens.err());
        assertFalse(sameTokens.err().contains("same-token"), "the token is not printed: " + sameTokens.err());
    }
}
