package dev.kiln.apps.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kiln.nn.models.ConvNet;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.serve.ModelServer;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.tensor.random.Generator;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container and cluster files, checked without Docker or a cluster: deploy/*.yaml parsed as
 * Kubernetes manifests and the Dockerfile read line by line. Every probe must hit a KServe v2
 * health endpoint on the port the container exposes and the server listens on; the Service, HPA
 * and ConfigMap must point at what exists; the runtime's jlink modules must cover what jdeps finds
 * in Kiln's classes.
 */
class DeploymentManifestsTest {
    // KServe v2 / Open Inference Protocol REST endpoints ("Health", "Server Metadata", "Model
    // Metadata", "Model Ready", "Inference" in the spec) plus the Prometheus scrape path.
    // everyProbeAnswersOnALiveServer below also asks a running ModelServer for each one.
    static final String SERVER_LIVE = "/v2/health/live";
    static final String SERVER_READY = "/v2/health/ready";
    static final String SERVER_METADATA = "/v2";
    static final String MODEL_METADATA = "/v2/models/{name}";
    static final String MODEL_READY = "/v2/models/{name}/ready";
    static final String MODEL_INFER = "/v2/models/{name}/infer";
    static final String METRICS = "/metrics";
    static final Set<String> KSERVE_V2_ENDPOINTS = Set.of(SERVER_LIVE, SERVER_READY, SERVER_METADATA, MODEL_METADATA, MODEL_READY,
            MODEL_INFER);

    static Path repo;
    static List<JsonNode> manifests;
    static List<String> dockerfile;

    @BeforeAll
    static void read() throws IOException {
        repo = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(repo.resolve("deploy"))) { // the tests run in apps/; deploy/ is at the root
            repo = repo.getParent();
            assertNotNull(repo, "no deploy/ folder above " + Path.of("").toAbsolutePath());
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        manifests = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(repo.resolve("deploy"))) {
            files = s.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted().toList();
        }
        for (Path f : files) {
            try (MappingIterator<JsonNode> docs = yaml.readerFor(JsonNode.class).readValues(f.toFile())) {
                while (docs.hasNext()) {
                    JsonNode d = docs.next();
                    if (d != null && !d.isMissingNode() && !d.isNull()) {
                        manifests.add(d);
                    }
                }
            }
        }
        dockerfile = joinContinuations(Files.readAllLines(repo.resolve("Dockerfile")));
    }

    private static JsonNode only(String kind) {
        List<JsonNode> found = manifests.stream().filter(m -> kind.equals(m.path("kind").asText())).toList();
        assertEquals(1, found.size(), "exactly one " + kind + " in deploy/, got " + found.size());
        return found.getFirst();
    }

    private static JsonNode container() {
        JsonNode containers = only("Deployment").path("spec").path("template").path("spec").path("containers");
        assertEquals(1, containers.size(), "one container in the pod");
        return containers.get(0);
    }

    /** The container's argv after the shell has expanded it: command + args, the sh -c string split on spaces. */
    private static List<String> serverCommandLine() {
        JsonNode c = container();
        List<String> argv = new ArrayList<>();
        c.path("command").forEach(n -> argv.add(n.asText()));
        c.path("args").forEach(n -> argv.add(n.asText()));
        if (argv.size() >= 3 && argv.get(1).equals("-c")) {
            return Arrays.asList(argv.get(2).trim().split("\\s+"));
        }
        return argv;
    }

    private static String option(List<String> argv, String name) {
        int i = argv.indexOf(name);
        assertTrue(i >= 0 && i + 1 < argv.size(), name + " missing from the server command line " + argv);
        return argv.get(i + 1);
    }

    private static int containerPort() {
        JsonNode ports = container().path("ports");
        assertEquals(1, ports.size(), "one container port");
        return ports.get(0).path("containerPort").asInt();
    }

    /** A probe's or Service's port, by number or by the container port's name. */
    private static int resolvePort(JsonNode port) {
        if (port.isInt()) {
            return port.asInt();
        }
        for (JsonNode p : container().path("ports")) {
            if (p.path("name").asText().equals(port.asText())) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("port " + port + " names no container port");
    }

    @Test
    void everyProbeHitsAKServeHealthEndpointOnTheServersPort() {
        List<String> argv = serverCommandLine();
        int serve = argv.indexOf("serve");
        assertTrue(serve >= 1 && argv.get(serve - 1).endsWith("kiln"), "the container runs kiln serve: " + argv);
        assertEquals("0.0.0.0", option(argv, "--host"), "the server must listen on all interfaces in a pod");
        int port = Integer.parseInt(option(argv, "--port"));
        assertEquals(port, containerPort(), "containerPort vs the server's --port");
        assertEquals(port, exposedPort(), "Dockerfile EXPOSE vs the server's --port");

        JsonNode c = container();
        assertEquals(SERVER_LIVE, c.path("livenessProbe").path("httpGet").path("path").asText(), "liveness probe path");
        assertEquals(SERVER_READY, c.path("readinessProbe").path("httpGet").path("path").asText(), "readiness probe path");
        int probes = 0;
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            JsonNode get = c.path(probe).path("httpGet");
            if (get.isMissingNode()) {
                continue;
            }
            probes++;
            assertTrue(KSERVE_V2_ENDPOINTS.contains(get.path("path").asText()), probe + " path " + get.path("path")
                    + " is not a KServe v2 endpoint " + KSERVE_V2_ENDPOINTS);
            assertEquals(port, resolvePort(get.path("port")), probe + " port");
        }
        assertTrue(probes >= 2, "liveness and readiness probes");
        JsonNode annotations = only("Deployment").path("spec").path("template").path("metadata").path("annotations");
        if (annotations.has("prometheus.io/path")) {
            assertEquals(METRICS, annotations.path("prometheus.io/path").asText());
            assertEquals(port, annotations.path("prometheus.io/port").asInt(), "metrics are scraped on the server's port");
        }
    }

    @Test
    void everyProbeAnswersOnALiveServer(@TempDir Path tmp) throws Exception {
        // Not only the right names: the paths the Deployment probes, and the scrape path, answer 200 from a real
        // server with a model loaded, as the kubelet and Prometheus would ask them.
        Path run = Files.createDirectories(tmp.resolve("model"));
        int side = 12;
        Safetensors.saveModule(run.resolve("model.safetensors"), ConvNet.build(side, side, new Generator(7)),
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", "input_mean", "0.3", "input_std", "0.25",
                        "input_height", Integer.toString(side), "input_width", Integer.toString(side)));
        JsonNode c = container();
        List<String> paths = new ArrayList<>();
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            if (c.path(probe).has("httpGet")) {
                paths.add(c.path(probe).path("httpGet").path("path").asText());
            }
        }
        JsonNode annotations = only("Deployment").path("spec").path("template").path("metadata").path("annotations");
        if (annotations.has("prometheus.io/path")) {
            paths.add(annotations.path("prometheus.io/path").asText());
        }
        assertTrue(paths.size() >= 2, "probes found: " + paths);
        try (ModelServer server = ModelServer.builder().port(0).model("fashion", RunDirectoryModels.load(run)).start();
                HttpClient http = HttpClient.newHttpClient()) {
            for (String path : paths) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), path + ": " + r.body());
            }
        }
    }

    @Test
    void resourcesHaveRequestsNoLargerThanLimits() {
        JsonNode r = container().path("resources");
        for (String what : List.of("cpu", "memory")) {
            JsonNode req = r.path("requests").path(what);
            JsonNode lim = r.path("limits").path(what);
            assertFalse(req.isMissingNode() || lim.isMissingNode(), what + ": both a request and a limit, got " + r);
            assertTrue(quantity(req.asText()) <= quantity(lim.asText()), what + " request " + req + " > limit " + lim);
        }
    }

    /** A Kubernetes quantity in base units: "500m" cores, "4Gi", "512M", "2". */
    static double quantity(String q) {
        Matcher m = Pattern.compile("([0-9.]+)([a-zA-Z]*)").matcher(q);
        assertTrue(m.matches(), "not a quantity: " + q);
        double v = Double.parseDouble(m.group(1));
        return v * switch (m.group(2)) {
            case "" -> 1;
            case "m" -> 1e-3;
            case "k" -> 1e3;
            case "M" -> 1e6;
            case "G" -> 1e9;
            case "Ki" -> 1024.0;
            case "Mi" -> 1024.0 * 1024;
            case "Gi" -> 1024.0 * 1024 * 1024;
            default -> throw new AssertionError("unknown quantity suffix in " + q);
        };
    }

    @Test
    void serviceHpaAndConfigMapPointAtTheDeployment() {
        JsonNode deployment = only("Deployment");
        String name = deployment.path("metadata").path("name").asText();
        JsonNode podLabels = deployment.path("spec").path("template").path("metadata").path("labels");
        deployment.path("spec").path("selector").path("matchLabels").properties().forEach(e ->
                assertEquals(e.getValue(), podLabels.path(e.getKey()), "Deployment selector " + e.getKey() + " vs pod labels"));

        JsonNode service = only("Service");
        JsonNode selector = service.path("spec").path("selector");
        assertFalse(selector.isEmpty(), "the Service selects pods");
        selector.properties().forEach(e -> assertEquals(e.getValue(), podLabels.path(e.getKey()),
                "Service selector " + e.getKey() + " vs pod labels"));
        for (JsonNode p : service.path("spec").path("ports")) {
            assertEquals(containerPort(), resolvePort(p.path("targetPort")), "Service targetPort");
        }

        JsonNode hpa = only("HorizontalPodAutoscaler");
        assertEquals("autoscaling/v2", hpa.path("apiVersion").asText());
        JsonNode target = hpa.path("spec").path("scaleTargetRef");
        assertEquals("Deployment", target.path("kind").asText());
        assertEquals(name, target.path("name").asText(), "HPA target");
        int min = hpa.path("spec").path("minReplicas").asInt(1);
        int max = hpa.path("spec").path("maxReplicas").asInt();
        assertTrue(min >= 1 && min <= max, "1 <= minReplicas " + min + " <= maxReplicas " + max);
        for (JsonNode m : hpa.path("spec").path("metrics")) {
            String resource = m.path("resource").path("name").asText();
            if (m.path("resource").path("target").path("type").asText().equals("Utilization")) {
                assertFalse(container().path("resources").path("requests").path(resource).isMissingNode(),
                        "utilisation of " + resource + " is relative to its request, which the container must set");
            }
        }

        JsonNode configMap = only("ConfigMap");
        boolean found = false;
        for (JsonNode env : container().path("env")) {
            JsonNode ref = env.path("valueFrom").path("configMapKeyRef");
            if (!ref.isMissingNode()) {
                assertEquals(configMap.path("metadata").path("name").asText(), ref.path("name").asText(), "ConfigMap name");
                String models = configMap.path("data").path(ref.path("key").asText()).asText(null);
                assertNotNull(models, "ConfigMap key " + ref.path("key"));
                String mount = container().path("volumeMounts").get(0).path("mountPath").asText();
                for (String model : models.trim().split("\\s+")) {
                    String dir = model.contains("=") ? model.substring(model.indexOf('=') + 1) : model;
                    assertTrue(dir.startsWith(mount + "/"), "model " + model + " lies in the models volume " + mount);
                }
                assertTrue(String.join(" ", serverCommandLine()).contains("$" + env.path("name").asText()),
                        "the server's command line uses the model list " + env.path("name"));
                found = true;
            }
        }
        assertTrue(found, "the model list comes from the ConfigMap");
    }

    private static int exposedPort() {
        List<String> expose = dockerfile.stream().filter(l -> l.startsWith("EXPOSE ")).toList();
        assertEquals(1, expose.size(), "one EXPOSE in the Dockerfile");
        return Integer.parseInt(expose.getFirst().substring("EXPOSE ".length()).trim().replace("/tcp", ""));
    }

    @Test
    void dockerfileBuildsWithMavenAndRunsKilnServeOnAJlinkedRuntime() {
        List<String> froms = dockerfile.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertTrue(froms.size() >= 2, "a multi-stage build: " + froms);
        assertTrue(froms.getFirst().matches("FROM maven:3\\.9-eclipse-temurin-25 AS \\w+"), froms.getFirst());
        String runtime = froms.getLast();
        assertFalse(runtime.contains("maven") || runtime.contains("jdk") || runtime.contains("temurin"),
                "the runtime stage is not a JDK image: " + runtime);
        assertTrue(dockerfile.stream().anyMatch(l -> l.startsWith("COPY --from=") && l.endsWith(" /opt/jre")),
                "the runtime copies the jlink output");
        assertTrue(dockerfile.stream().anyMatch(l -> l.startsWith("RUN mvn ") && l.contains(" package")), "Maven builds the jars");

        // The build stage copies every reactor module's pom before go-offline: a missing one fails the build.
        for (String module : rootModules()) {
            assertTrue(dockerfile.contains("COPY " + module + "/pom.xml " + module + "/"), "Dockerfile copies " + module + "/pom.xml");
        }

        // ENTRYPOINT is the launcher the image copies in; CMD is kiln serve on the exposed port.
        String entrypoint = dockerfile.stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        String launcher = entrypoint.replaceAll("ENTRYPOINT \\[\"([^\"]+)\"\\]", "$1");
        String copied = dockerfile.stream().filter(l -> l.startsWith("COPY ") && l.endsWith(" " + launcher)).findFirst()
                .orElseThrow(() -> new AssertionError("no COPY puts the launcher at " + launcher));
        assertTrue(Files.isRegularFile(repo.resolve(copied.split("\\s+")[1])), copied);
        assertEquals(launcher, String.join(" ", serverCommandLine()).split(" ")[1], "the Deployment runs the image's launcher");
        String cmd = dockerfile.stream().filter(l -> l.startsWith("CMD ")).findFirst().orElseThrow();
        assertTrue(cmd.contains("\"serve\"") && cmd.contains("\"--port\", \"" + exposedPort() + "\"")
                && cmd.contains("\"--host\", \"0.0.0.0\""), cmd);
    }

    @Test
    void jlinkModulesCoverWhatJdepsFindsInKilnsClasses() {
        String jlink = dockerfile.stream().filter(l -> l.startsWith("RUN jlink ")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("--add-modules (\\S+)").matcher(jlink);
        assertTrue(m.find(), jlink);
        Set<String> linked = new LinkedHashSet<>(Arrays.asList(m.group(1).split(",")));
        assertTrue(linked.contains("jdk.incubator.vector"), "the Vector API, which jdeps does not resolve by default: " + linked);

        // Kiln's own classes and its runtime libraries on this test's class path (not JUnit's).
        List<String> inputs = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String file = Path.of(entry).getFileName().toString();
            boolean kilnClasses = entry.endsWith(File.separator + "classes") && !entry.contains("test-classes");
            boolean library = file.matches("(jackson-(core|databind|annotations)|picocli|snakeyaml|kiln-[a-z]+)-[0-9].*\\.jar");
            if (kilnClasses || library) {
                inputs.add(entry);
            }
        }
        assertTrue(inputs.size() >= 5, "Kiln's classes on the class path: " + inputs);
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        List<String> args = new ArrayList<>(List.of("--print-module-deps", "--ignore-missing-deps", "--multi-release", "25"));
        args.addAll(inputs);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        assertEquals(0, rc, "jdeps failed: " + err);
        Set<String> needed = new LinkedHashSet<>(Arrays.asList(out.toString().trim().split(",")));
        assertTrue(needed.contains("java.base"), "jdeps output: " + out);
        Set<String> missing = new LinkedHashSet<>(needed);
        missing.removeAll(linked);
        assertTrue(missing.isEmpty(), "jdeps needs " + needed + "; the Dockerfile's jlink lacks " + missing);
    }

    private static List<String> rootModules() {
        try {
            Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(repo.resolve("pom.xml")));
            List<String> out = new ArrayList<>();
            while (m.find()) {
                out.add(m.group(1));
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Dockerfile lines with backslash continuations joined and comments dropped. */
    private static List<String> joinContinuations(List<String> lines) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("#") || line.isEmpty() && cur.isEmpty()) {
                continue;
            }
            if (line.endsWith("\\")) {
                cur.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            cur.append(line);
            out.add(cur.toString().replaceAll("\\s+", " ").trim());
            cur.setLength(0);
        }
        return out;
    }
}
