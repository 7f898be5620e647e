package dev.kiln.serve.admin;

import dev.kiln.serve.ServeException;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Bearer-token auth (RFC 6750), run before every matched route. Which token a route needs is
 * decided by the route's template, not the raw request path, so no spelling of a path reaches a
 * route past its check:
 * <ul>
 *   <li>{@code /v2/health/*} are open: Kubernetes liveness and readiness probes send no token.
 *   <li>{@code /metrics} is open unless {@code protectMetrics} (Prometheus scrapes usually run
 *       without credentials inside the cluster; the metrics hold counts and latencies, no data).
 *   <li>{@code /admin/*} need the admin token. Without an admin token the server does not register
 *       the admin routes at all, so they answer 404 (as any unknown path).
 *   <li>Every other route (inference, metadata, and routes added later) needs the auth token when
 *       one is set; the admin token is accepted there too.
 * </ul>
 * A request without {@code Authorization: Bearer ...} gets 401 with {@code WWW-Authenticate:
 * Bearer realm="kiln"}; one with a token that is not the one needed gets 403. Tokens are compared
 * as SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken tells nothing of how
 * much of a guess was right, nor of the token's length.
 *
 * <p>Thread-safety: immutable.
 */
public final class BearerAuth implements Handler {
    /** The characters RFC 6750 allows in a bearer token (b64token). */
    public static final String TOKEN_PATTERN = "[A-Za-z0-9._~+/-]+=*";

    private final byte[] authDigest; // null: inference routes are open
    private final byte[] adminDigest; // null: no admin routes
    private final boolean protectMetrics;
    private final List<String> openRoutes;

    /**
     * Auth with {@code authToken} for the inference and metadata routes and {@code adminToken} for
     * the admin routes; either may be null (that class of route is open, or, for admin, absent).
     *
     * @throws IllegalArgumentException when a token is empty or has characters outside {@link #TOKEN_PATTERN}
     */
    public BearerAuth(String authToken, String adminToken, boolean protectMetrics) {
        this(authToken, adminToken, protectMetrics, List.of());
    }

    /** As above, with {@code openRoutes} (a platform's health checks, which send no token) open too. */
    public BearerAuth(String authToken, String adminToken, boolean protectMetrics, List<String> openRoutes) {
        this.openRoutes = List.copyOf(openRoutes);
        this.authDigest = authToken == null ? null : digest(checkToken("authToken", authToken));
        this.adminDigest = adminToken == null ? null : digest(checkToken("adminToken", adminToken));
        this.protectMetrics = protectMetrics;
    }

    /**
     * Checks that {@code token} can be sent in an {@code Authorization: Bearer} header.
     *
     * @return the token
     * @throws IllegalArgumentException naming {@code what} when it is null, empty or has other characters
     */
    public static String checkToken(String what, String token) {
        if (token == null || !token.matches(TOKEN_PATTERN)) {
            throw new IllegalArgumentException(what + ": expected a bearer token of letters, digits and ._~+/- (RFC 6750), got "
                    + (token == null ? "null" : token.isEmpty() ? "an empty one" : "one with other characters (" + token.length()
                    + " characters)"));
        }
        return token;
    }

    @Override
    public void handle(Context ctx) {
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        String route = matched == null ? ctx.path() : matched.path;
        if (route.startsWith("/v2/health/") || openRoutes.contains(route) || (route.equals("/metrics") && !protectMetrics)) {
            return;
        }
        boolean admin = route.equals("/admin") || route.startsWith("/admin/");
        if (admin && adminDigest != null) {
            check(ctx, adminDigest, null, "the admin token");
        } else if (authDigest != null || (route.equals("/metrics") && adminDigest != null)) {
            check(ctx, authDigest, adminDigest, "the auth token");
        }
    }

    /** Passes when the request's bearer token is {@code first} or {@code second} (either may be null). */
    private static void check(Context ctx, byte[] first, byte[] second, String needed) {
        String header = ctx.header("Authorization");
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)
                || header.substring(7).isBlank()) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"kiln\"");
            throw new ServeException(401, "authorization: expected the header \"Authorization: Bearer TOKEN\", got "
                    + (header == null ? "none" : "another scheme or no token"));
        }
        byte[] sent = digest(header.substring(7).trim());
        // Both comparisons always run, so the time does not say which token came close.
        boolean ok = first != null && MessageDigest.isEqual(sent, first);
        ok |= second != null && MessageDigest.isEqual(sent, second);
        if (!ok) {
            throw new ServeException(403, "authorization: the bearer token is not " + needed + " for " + ctx.path());
        }
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
