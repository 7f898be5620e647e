package dev.kiln.data.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.LabeledImages;
import dev.kiln.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    /** An IDX file written by hand: magic 00 00, type, rank, big-endian dims, data. */
    static byte[] idx(int type, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {0, 0, (byte) type, (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        return bytes.toByteArray();
    }

    static void writeGzip(Path file, byte[] content) throws IOException {
        try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(file))) {
            os.write(content);
        }
    }

    @Test
    void readsUnsignedBytesPlainAndGzipped() throws IOException {
        byte[] px = new byte[2 * 3 * 2];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (250 + i); // wraps past 255: unsigned values 250..255, 0..5
        }
        Path plain = dir.resolve("imgs-idx3-ubyte");
        Files.write(plain, idx(0x08, new int[] {2, 3, 2}, px));
        Path gz = dir.resolve("imgs-idx3-ubyte.gz");
        writeGzip(gz, idx(0x08, new int[] {2, 3, 2}, px));
        for (Path p : new Path[] {plain, gz}) {
            IdxArray a = IdxReader.read(p);
            assertEquals(IdxArray.Type.UBYTE, a.type());
            assertArrayEquals(new int[] {2, 3, 2}, a.dims());
            assertEquals(255.0, a.getDouble(5));
            assertEquals(0L, a.getLong(6));
            assertEquals(5L, a.getLong(11));
        }
    }

    @Test
    void readsBigEndianIntsFloatsAndDoubles() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(-7);
        d.writeInt(1 << 20);
        IdxArray ints = IdxReader.read(new java.io.ByteArrayInputStream(idx(0x0C, new int[] {2}, b.toByteArray())), "ints");
        assertArrayEquals(new long[] {-7, 1 << 20}, ints.toLongArray());
        b.reset();
        d.writeFloat(1.5f);
        IdxArray floats = IdxReader.read(new java.io.ByteArrayInputStream(idx(0x0D, new int[] {1}, b.toByteArray())), "f");
        assertEquals(1.5, floats.getDouble(0));
        b.reset();
        d.writeDouble(-2.25);
        IdxArray doubles = IdxReader.read(new java.io.ByteArrayInputStream(idx(0x0E, new int[] {1}, b.toByteArray())), "d");
        assertEquals(-2.25, doubles.getDouble(0));
    }

    @Test
    void malformedFilesGiveClearErrorsNamingTheFile() throws IOException {
        Path badMagic = dir.resolve("bad-magic");
        Files.write(badMagic, new byte[] {1, 2, 8, 1, 0, 0, 0, 0});
        assertMessage(badMagic, "magic number starts with 01 02");

        Path badType = dir.resolve("bad-type");
        Files.write(badType, idx(0x07, new int[] {1}, new byte[1]));
        assertMessage(badType, "unknown IDX type byte 0x07");

        Path truncated = dir.resolve("train-images-idx3-ubyte");
        byte[] full = idx(0x08, new int[] {3, 2, 2}, new byte[12]);
        Files.write(truncated, Arrays.copyOf(full, full.length - 5));
        assertMessage(truncated, "truncated: header declares [3, 2, 2] UBYTE = 12 data bytes, found only 7");

        Path trailing = dir.resolve("trailing");
        byte[] extra = Arrays.copyOf(full, full.length + 3);
        Files.write(trailing, extra);
        assertMessage(trailing, "3 bytes of trailing data");

        Path shortHeader = dir.resolve("short-header");
        Files.write(shortHeader, Arrays.copyOf(idx(0x08, new int[] {1, 1, 1}, new byte[1]), 9));
        assertMessage(shortHeader, "truncated IDX header");

        Path corruptGz = dir.resolve("corrupt.gz");
        writeGzip(corruptGz, full);
        byte[] gz = Files.readAllBytes(corruptGz);
        Files.write(corruptGz, Arrays.copyOf(gz, gz.length - 10));
        assertMessage(corruptGz, "");
    }

    private static void assertMessage(Path file, String part) {
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> IdxReader.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void labeledImagesScalesPixelsAndPairsLabels() throws IOException {
        byte[] px = new byte[2 * 2 * 2];
        px[0] = (byte) 255;
        px[5] = (byte) 51;
        Path images = dir.resolve("images");
        Path labels = dir.resolve("labels.gz");
        Files.write(images, idx(0x08, new int[] {2, 2, 2}, px));
        writeGzip(labels, idx(0x08, new int[] {2}, new byte[] {9, 3}));
        LabeledImages ds = LabeledImages.read(images, labels);
        assertEquals(2, ds.size());
        Tensor[] ex = ds.get(1);
        assertArrayEquals(new float[] {0, 51 / 255f, 0, 0}, ex[0].toFloatArray());
        assertEquals(0, ex[1].rank());
        assertEquals(3L, ex[1].toLongArray()[0]);
        assertEquals(1f, ds.get(0)[0].toFloatArray()[0]);

        Path threeLabels = dir.resolve("three");
        Files.write(threeLabels, idx(0x08, new int[] {3}, new byte[3]));
        IOException e = assertThrows(IOException.class, () -> LabeledImages.read(images, threeLabels));
        assertTrue(e.getMessage().contains("2 images but 3 labels"), e.getMessage());
    }
}
