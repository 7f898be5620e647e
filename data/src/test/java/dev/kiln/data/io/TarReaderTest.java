package dev.kiln.data.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsFilesDirectoriesPaxPathsAndBlockBoundaries() throws IOException {
        byte[] big = new byte[512 * 3 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + 7);
        }
        String longName = "package/data/" + "deep/".repeat(25) + "file.txt";
        Path tgz = dir.resolve("a.tgz");
        new TarWriter().directory("package/").file("package/a.txt", "hello\n").file("package/big.bin", big)
                .file("package/empty", new byte[0]).file(longName, "long").file("package/exact", new byte[512])
                .writeGzip(tgz);
        List<String> seen = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        TarReader.read(tgz, (e, in) -> {
            seen.add(e.kind() + " " + e.name() + " " + e.size());
            contents.add(e.name().endsWith("big.bin") ? in.readNBytes(10) : in.readAllBytes()); // partly read is fine
        });
        assertEquals(List.of("DIRECTORY package/ 0", "FILE package/a.txt 6", "FILE package/big.bin " + big.length,
                "FILE package/empty 0", "FILE " + longName + " 4", "FILE package/exact 512"), seen);
        assertEquals("hello\n", new String(contents.get(1), StandardCharsets.UTF_8));
        assertArrayEquals(Arrays.copyOf(big, 10), contents.get(2));
        assertEquals("long", new String(contents.get(4), StandardCharsets.UTF_8));
        assertEquals(512, contents.get(5).length);
    }

    @Test
    void extractsSelectedFilesRenamed() throws IOException {
        Path tgz = dir.resolve("p.tgz");
        new TarWriter().file("package/package.json", "{}").file("package/data/x.txt", "x")
                .file("package/data/sub/y.txt", "yy").writeGzip(tgz);
        Path out = dir.resolve("out");
        List<Path> files = TarReader.extract(tgz, out,
                name -> name.startsWith("package/data/") ? name.substring("package/data/".length()) : null);
        assertEquals(List.of(out.resolve("x.txt"), out.resolve("sub/y.txt")), files);
        assertEquals("yy", Files.readString(out.resolve("sub/y.txt")));
        assertTrue(Files.notExists(out.resolve("package.json")));
    }

    @Test
    void refusesToWriteOutsideTheDestination() throws IOException {
        Path tgz = dir.resolve("evil.tgz");
        new TarWriter().file("package/../../evil.txt", "x").writeGzip(tgz);
        MalformedDataException e = assertThrows(MalformedDataException.class,
                () -> TarReader.extract(tgz, dir.resolve("out"), name -> name));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("evil.txt")));
    }

    @Test
    void corruptArchivesFailNamingTheFile() throws IOException {
        Path bad = dir.resolve("bad.tar");
        Files.write(bad, new TarWriter().file("ok.txt", "fine").corruptHeader("broken.txt").tar());
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> TarReader.read(bad, (en, in) -> { }));
        assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains("checksum"), e.getMessage());

        Path truncated = dir.resolve("t.tar");
        byte[] tar = new TarWriter().file("a.bin", new byte[2000]).tar();
        Files.write(truncated, Arrays.copyOf(tar, 512 + 1000));
        e = assertThrows(MalformedDataException.class, () -> TarReader.read(truncated, (en, in) -> in.readAllBytes()));
        assertTrue(e.getMessage().contains(truncated.toString()), e.getMessage());

        Path gz = dir.resolve("cut.tgz");
        new TarWriter().file("a.bin", new byte[5000]).writeGzip(gz);
        byte[] all = Files.readAllBytes(gz);
        Files.write(gz, Arrays.copyOf(all, all.length - 12));
        e = assertThrows(MalformedDataException.class, () -> TarReader.read(gz, (en, in) -> in.readAllBytes()));
        assertTrue(e.getMessage().contains(gz.toString()), e.getMessage());
    }
}
