package dev.kiln.consumertest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln as a dependency, the way a user meets it: the packaged library jars, their POMs, kiln-parent
 * and kiln-bom are installed into a temporary local repository; an outside Maven project that imports kiln-bom and declares every published
 * artifact without a version is built offline against it; the README's {@code TrainStep} example,
 * copied verbatim, runs on the class path and on the module path and must print finite, falling
 * losses; without {@code --add-modules jdk.incubator.vector} it must fail naming that flag.
 *
 * <p>The real local repository is only read: the temporary one links to its third-party folders
 * and holds its own {@code dev/kiln}, so nothing is installed into (or shadowed by) ~/.m2.
 */
class ConsumerProjectTest {
    /** Published artifact id -> (reactor folder, Automatic-Module-Name); the BOM must list exactly these. */
    private static final Map<String, String[]> PUBLISHED = new TreeMap<>(Map.of(
            "kiln-tensor", new String[] {"tensor", "dev.kiln.tensor"},
            "kiln-autograd", new String[] {"autograd", "dev.kiln.autograd"},
            "kiln-nn", new String[] {"nn", "dev.kiln.nn"},
            "kiln-optim", new String[] {"optim", "dev.kiln.optim"},
            "kiln-distributed", new String[] {"distributed", "dev.kiln.distributed"},
            "kiln-data", new String[] {"data", "dev.kiln.data"},
            "kiln-eval", new String[] {"eval", "dev.kiln.eval"},
            "kiln-native", new String[] {"native", "dev.kiln.cuda"},
            "kiln-serve", new String[] {"serve", "dev.kiln.serve"},
            "kiln-onnx", new String[] {"onnx", "dev.kiln.onnx"}));
    private static final String VECTOR_FLAG = "--add-modules jdk.incubator.vector";
    private static final Pattern LOSS_LINE = Pattern.compile("step (\\d+) loss (\\S+)");

    private final Path root = Path.of(System.getProperty("kiln.reactor.root", "..")).toAbsolutePath().normalize();
    private final String version = System.getProperty("kiln.version", "0.1.0-SNAPSHOT");
    private final Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");

    @Test
    void bomListsExactlyThePublishedArtifactsAtTheParentVersion() throws IOException {
        String bom = Files.readString(root.resolve("bom/pom.xml"));
        Set<String> managed = new TreeSet<>();
        Matcher m = Pattern.compile("<artifactId>(kiln-[a-z-]+)</artifactId>\\s*<version>\\$\\{project.version}</version>")
                .matcher(bom);
        while (m.find()) {
            managed.add(m.group(1));
        }
        assertEquals(PUBLISHED.keySet(), managed, "kiln-bom's dependencyManagement");
        assertEquals(version, projectVersion(bom), "kiln-bom's version (it has no parent, so it is written out)");
    }

    @Test
    void jarsAreAutomaticModulesWithStableNamesAndNoSplitPackages() throws IOException {
        Map<String, String> expected = new TreeMap<>();
        List<Path> jars = new ArrayList<>();
        for (Map.Entry<String, String[]> e : PUBLISHED.entrySet()) {
            Path jar = libraryJar(e.getKey());
            jars.add(jar);
            expected.put(e.getKey(), e.getValue()[1]);
            try (JarFile jf = new JarFile(jar.toFile())) {
                assertEquals(e.getValue()[1], jf.getManifest().getMainAttributes().getValue("Automatic-Module-Name"),
                        "Automatic-Module-Name of " + jar.getFileName());
            }
        }
        ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));
        Set<String> names = finder.findAll().stream().map(r -> r.descriptor().name()).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(expected.values()), names, "module names found on a module path of the jars");
        // Resolving them together fails when two modules hold the same package.
        Configuration.resolve(finder, List.of(ModuleLayer.boot().configuration()), ModuleFinder.of(), names);
        for (ModuleReference r : finder.findAll()) {
            assertTrue(r.descriptor().isAutomatic(), r.descriptor().name() + " should be an automatic module");
        }
    }

    @Test
    void outsideMavenProjectBuildsAgainstTheInstalledArtifactsAndTrains(@TempDir Path tmp) throws Exception {
        Path repo = tmp.resolve("repository");
        try {
            linkThirdPartyFolders(Path.of(System.getProperty("kiln.local.repository",
                    System.getProperty("user.home") + "/.m2/repository")), repo);
            buildAndRunConsumer(tmp, repo);
        } finally {
            unlinkThirdPartyFolders(repo); // before @TempDir's cleanup, which warns about every link it meets
        }
    }

    private void buildAndRunConsumer(Path tmp, Path repo) throws Exception {

        install(repo);

        Path project = Files.createDirectories(tmp.resolve("consumer"));
        Files.writeString(project.resolve("pom.xml"), consumerPom());
        Path source = Files.createDirectories(project.resolve("src/main/java")).resolve("TrainStep.java");
        Files.writeString(source, readmeExample());
        Path classpathFile = project.resolve("classpath.txt");
        maven(project, repo, "compile", "dependency:build-classpath", "-Dmdep.outputFile=" + classpathFile);
        String dependencies = Files.readString(classpathFile).strip();
        for (String artifact : PUBLISHED.keySet()) {
            assertTrue(dependencies.contains(repo.resolve("dev/kiln/" + artifact).toString()),
                    artifact + " resolved from the temporary repository: " + dependencies);
        }
        String classes = project.resolve("target/classes").toString();

        String out = run(project, 0, javaBin.toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", classes + File.pathSeparator + dependencies, "TrainStep");
        List<Double> losses = losses(out);
        System.out.println("TrainStep losses: " + losses);
        assertEquals(5, losses.size(), "loss lines printed:\n" + out);
        for (double loss : losses) {
            assertTrue(Double.isFinite(loss) && loss > 0, "losses must be finite and positive: " + losses);
        }
        assertTrue(losses.get(4) < losses.get(0), "five Adam steps must lower the loss: " + losses);

        // The same program with Kiln (and Jackson) as modules on the module path.
        String onModulePath = run(project, 0, javaBin.toString(), "--add-modules", "jdk.incubator.vector",
                "--module-path", dependencies, "--add-modules", "ALL-MODULE-PATH", "-cp", classes, "TrainStep");
        assertEquals(losses, losses(onModulePath), "module path and class path must train identically");

        String withoutFlag = run(project, 1, javaBin.toString(), "-cp", classes + File.pathSeparator + dependencies, "TrainStep");
        assertTrue(withoutFlag.contains("NoClassDefFoundError: Kiln's CPU kernels need the Vector API module")
                && withoutFlag.contains("start java with " + VECTOR_FLAG), "the error without the flag must name it:\n" + withoutFlag);
    }

    // ---- the temporary repository, the generated projects

    /**
     * Maven 3.8 cannot chain local repositories, so the temporary one links every top-level folder of
     * the real one (plugins, Jackson, JUnit) except {@code dev/kiln}, which it owns.
     */
    private static void linkThirdPartyFolders(Path real, Path repo) throws IOException {
        assertTrue(Files.isDirectory(real), "kiln.local.repository is not a directory: " + real);
        Files.createDirectories(repo.resolve("dev/kiln"));
        try (var top = Files.list(real)) {
            for (Path p : top.toList()) {
                if (!p.getFileName().toString().equals("dev")) {
                    Files.createSymbolicLink(repo.resolve(p.getFileName().toString()), p);
                }
            }
        }
        if (Files.isDirectory(real.resolve("dev"))) {
            try (var dev = Files.list(real.resolve("dev"))) {
                for (Path p : dev.toList()) {
                    if (!p.getFileName().toString().equals("kiln")) {
                        Files.createSymbolicLink(repo.resolve("dev").resolve(p.getFileName().toString()), p);
                    }
                }
            }
        }
    }

    private static void unlinkThirdPartyFolders(Path repo) throws IOException {
        for (Path dir : List.of(repo, repo.resolve("dev"))) {
            if (Files.isDirectory(dir)) {
                try (var entries = Files.list(dir)) {
                    for (Path p : entries.toList()) {
                        if (Files.isSymbolicLink(p)) {
                            Files.delete(p); // the link only, never what it points to
                        }
                    }
                }
            }
        }
    }

    /**
     * Puts kiln-parent's and kiln-bom's POMs and each library's jar and POM where {@code mvn install}
     * would (group/artifact/version/artifact-version.ext). Copied rather than run through
     * maven-install-plugin: a plain {@code mvn verify} never downloads that plugin, so on a fresh
     * machine it would not be there for an offline run.
     */
    private void install(Path repo) throws IOException {
        installFile(repo, "kiln-parent", root.resolve("pom.xml"), "pom");
        installFile(repo, "kiln-bom", root.resolve("bom/pom.xml"), "pom");
        for (Map.Entry<String, String[]> e : PUBLISHED.entrySet()) {
            installFile(repo, e.getKey(), root.resolve(e.getValue()[0]).resolve("pom.xml"), "pom");
            installFile(repo, e.getKey(), libraryJar(e.getKey()), "jar");
        }
    }

    private void installFile(Path repo, String artifact, Path file, String extension) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("dev/kiln").resolve(artifact).resolve(version));
        Files.copy(file, dir.resolve(artifact + "-" + version + "." + extension));
    }

    /** What a user writes: the BOM imported once, every published artifact without a version. */
    private String consumerPom() {
        String dependencies = PUBLISHED.keySet().stream()
                .map(a -> "<dependency><groupId>dev.kiln</groupId><artifactId>" + a + "</artifactId></dependency>")
                .collect(Collectors.joining("\n    "));
        // Plugin versions as the reactor pins them, so that offline they are already in the repository.
        return """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>example</groupId>
                  <artifactId>uses-kiln</artifactId>
                  <version>1</version>
                  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
                  <dependencyManagement><dependencies>
                    <dependency><groupId>dev.kiln</groupId><artifactId>kiln-bom</artifactId><version>%s</version>
                      <type>pom</type><scope>import</scope></dependency>
                  </dependencies></dependencyManagement>
                  <dependencies>
                    %s
                  </dependencies>
                  <build><plugins>
                    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version>
                      <configuration><release>25</release></configuration></plugin>
                    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
                  </plugins></build>
                </project>
                """.formatted(version, dependencies);
    }

    /** The java block after README's {@code <!-- consumer-test: TrainStep.java -->} marker, as is. */
    private String readmeExample() throws IOException {
        String readme = Files.readString(root.resolve("README.md"));
        int marker = readme.indexOf("<!-- consumer-test: TrainStep.java -->");
        assertNotEquals(-1, marker, "README.md lost its consumer-test marker");
        int start = readme.indexOf("```java\n", marker) + "```java\n".length();
        return readme.substring(start, readme.indexOf("```", start));
    }

    private Path libraryJar(String artifact) {
        Path jar = root.resolve(PUBLISHED.get(artifact)[0]).resolve("target").resolve(artifact + "-" + version + ".jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: this test runs in the verify phase, after every module's package");
        return jar;
    }

    private static String projectVersion(String pom) {
        Matcher m = Pattern.compile("</artifactId>\\s*<version>([^<$]+)</version>").matcher(pom);
        assertTrue(m.find(), "no version in the POM");
        return m.group(1);
    }

    // ---- processes

    private void maven(Path dir, Path repo, String... goals) throws Exception {
        boolean windows = System.getProperty("os.name").startsWith("Windows");
        String home = System.getProperty("maven.home");
        String mvn = home == null ? "mvn" : Path.of(home, "bin", windows ? "mvn.cmd" : "mvn").toString();
        List<String> cmd = new ArrayList<>(List.of(mvn, "-B", "-o", "-q", "-Dmaven.repo.local=" + repo));
        cmd.addAll(List.of(goals));
        run(dir, 0, cmd.toArray(String[]::new));
    }

    private static List<Double> losses(String out) {
        List<Double> losses = new ArrayList<>();
        Matcher m = LOSS_LINE.matcher(out);
        while (m.find()) {
            losses.add(Double.parseDouble(m.group(2)));
        }
        return losses;
    }

    /** Runs {@code cmd} in {@code dir} (JAVA_HOME = this JVM's), returns stdout+stderr, checks the exit code. */
    private String run(Path dir, int expectedExit, String... cmd) throws Exception {
        Path log = Files.createTempFile(dir, "out", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after 240 s: " + String.join(" ", cmd) + "\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertEquals(expectedExit, p.exitValue(), "exit code of " + String.join(" ", cmd) + "\n" + out);
        return out;
    }
}
