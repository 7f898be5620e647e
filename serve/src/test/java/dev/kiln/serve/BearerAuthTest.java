package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.model.ServedModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer-token auth live: 401 with {@code WWW-Authenticate: Bearer} without a token, 403 with the
 * wrong one, 200 with the right one; health probes open; {@code /metrics} open or not as
 * {@code protectMetrics} says; the admin routes take the admin token only. Every refusal is a JSON
 * error.
 */
class BearerAuthTest {
    static final String USER = "user-token";
    static final String ADMIN = "admin-token";

    @TempDir
    static Path tmp;
    static ServedModel fashion;
    static String infer;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        fashion = RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn")));
        infer = ModelServerTest.imageRequest(ModelServerTest.pixels(1, 3), 1);
        server = builder().authToken(USER).adminToken(ADMIN).start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    static ModelServer.Builder builder() {
        return ModelServer.builder().port(0).model("fashion", "1", fashion, new BatchingOptions(8, 0, 64));
    }

    static Http.Reply as(Http client, String token, String method, String path) throws Exception {
        String body = method.equals("POST") ? infer : null;
        return token == null ? client.send(method, path, body) : client.send(method, path, body, "Authorization", "Bearer " + token);
    }

    static void assertUnauthorized(Http.Reply r, String what) {
        assertEquals(401, r.status(), what + ": " + r.body());
        assertEquals("Bearer realm=\"kiln\"", r.headers().firstValue("WWW-Authenticate").orElse(null), what);
        assertTrue(r.contentType().startsWith("application/json"), what + ": " + r.contentType());
        assertTrue(r.error().startsWith("authorization: expected the header \"Authorization: Bearer TOKEN\""), what + ": " + r.error());
    }

    static void assertForbidden(Http.Reply r, String needed, String what) {
        assertEquals(403, r.status(), what + ": " + r.body());
        assertTrue(r.contentType().startsWith("application/json"), what + ": " + r.contentType());
        assertTrue(r.error().startsWith("authorization: the bearer token is not " + needed), what + ": " + r.error());
        assertFalse(r.headers().firstValue("WWW-Authenticate").isPresent(), what + ": a 403 asks for no other credentials");
    }

    @Test
    void inferenceNeedsTheAuthToken() throws Exception {
        for (String[] route : new String[][] {{"POST", "/v2/models/fashion/infer"}, {"POST", "/v2/models/fashion/versions/1/infer"},
            {"GET", "/v2/models/fashion"}, {"GET", "/v2/models/fashion/ready"}, {"GET", "/v2"}, {"GET", "/v1/models"}}) {
            String what = route[0] + " " + route[1];
            assertUnauthorized(as(http, null, route[0], route[1]), what);
            assertForbidden(as(http, "user-toke", route[0], route[1]), "the auth token", what + " with a prefix of the token");
            assertForbidden(as(http, USER + "x", route[0], route[1]), "the auth token", what + " with the token and more");
            assertEquals(200, as(http, USER, route[0], route[1]).status(), what + " with the auth token");
            assertEquals(200, as(http, ADMIN, route[0], route[1]).status(), what + " with the admin token");
        }
        assertUnauthorized(http.send("POST", "/v2/models/fashion/infer", infer, "Authorization", "Basic dXNlcjpwYXNz"), "Basic auth");
        assertUnauthorized(http.send("POST", "/v2/models/fashion/infer", infer, "Authorization", "Bearer "), "an empty token");
        assertEquals(200, http.send("POST", "/v2/models/fashion/infer", infer, "Authorization", "bearer " + USER).status(),
                "the scheme is case-insensitive (RFC 7235)");
    }

    @Test
    void adminRoutesTakeTheAdminTokenOnly() throws Exception {
        assertUnauthorized(as(http, null, "GET", "/admin/models"), "no token");
        assertForbidden(as(http, USER, "GET", "/admin/models"), "the admin token", "the auth token on an admin route");
        assertForbidden(as(http, USER, "DELETE", "/admin/models/fashion/versions/1"), "the admin token", "an unload with the auth token");
        assertEquals(1, server.registry().versions("fashion").size(), "the refused unload changed nothing");
        assertEquals(200, as(http, ADMIN, "GET", "/admin/models").status());
    }

    @Test
    void healthProbesAndMetricsAreOpen() throws Exception {
        for (String path : List.of("/v2/health/live", "/v2/health/ready", "/metrics")) {
            assertEquals(200, http.get(path).status(), path);
        }
    }

    @Test
    void noSpellingOfAProtectedPathGetsPastTheCheck() throws Exception {
        StringBuilder seen = new StringBuilder("path spellings without a token:");
        for (String path : List.of("/v2/models/fashion/", "//v2/models/fashion", "/v2/models/./fashion", "/v2/health/../models/fashion",
                "/v2/health/live/../../models/fashion", "/v2/health/%2e%2e/models/fashion", "/v2/health/..%2fmodels/fashion",
                "/V2/models/fashion", "/v2/models/fashion;x=1", "/admin/models/", "/v2/health/../../admin/models", "/metrics/../admin/models")) {
            Http.Reply r = http.get(path);
            seen.append(' ').append(path).append('=').append(r.status());
            assertTrue(r.status() == 400 || r.status() == 401 || r.status() == 404, path + " without a token: " + r.status() + " " + r.body());
        }
        System.out.println(seen);
    }

    @Test
    void protectMetricsPutsMetricsBehindTheAuthToken() throws Exception {
        try (ModelServer s = builder().authToken(USER).protectMetrics(true).start(); Http client = new Http(s.port())) {
            assertUnauthorized(client.get("/metrics"), "/metrics without a token");
            assertForbidden(as(client, "nope", "GET", "/metrics"), "the auth token", "/metrics with a wrong token");
            Http.Reply scrape = as(client, USER, "GET", "/metrics");
            assertEquals(200, scrape.status());
            assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
            assertEquals(200, client.get("/v2/health/ready").status(), "probes stay open");
            assertEquals(404, as(client, USER, "GET", "/admin/models").status(), "no admin token: no admin routes");
        }
    }

    @Test
    void anAdminTokenAloneProtectsOnlyTheAdminRoutes() throws Exception {
        try (ModelServer s = builder().adminToken(ADMIN).start(); Http client = new Http(s.port())) {
            assertEquals(200, client.post("/v2/models/fashion/infer", infer).status());
            assertEquals(200, client.get("/metrics").status());
            assertUnauthorized(client.get("/admin/models"), "/admin/models without a token");
            assertForbidden(as(client, "nope", "GET", "/admin/models"), "the admin token", "/admin/models with a wrong token");
            assertEquals(200, as(client, ADMIN, "GET", "/admin/models").status());
        }
    }

    @Test
    void tokensThatCannotBeSentAreRefusedWithoutEchoingThem() {
        for (String bad : List.of("", "has space", "new\nline", "ünï")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelServer.builder().authToken(bad));
            assertTrue(e.getMessage().startsWith("ModelServer: auth token: expected a bearer token"), e.getMessage());
            assertTrue(bad.isEmpty() || !e.getMessage().contains(bad), "the message must not hold the token: " + e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ModelServer.builder().adminToken(bad));
        }
    }
}
