package dev.kiln.data.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** A minimal ustar writer for tests, independent of the reader: entries, pax paths, gzip. */
final class TarWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A regular file; names over 100 bytes get a pax 'path' record first. */
    TarWriter file(String name, byte[] data) {
        if (name.getBytes(StandardCharsets.UTF_8).length > 100) {
            String rec = " path=" + name + "\n";
            int len = rec.length() + 2;
            if (Integer.toString(len).length() + rec.length() != len) {
                len++;
            }
            byte[] pax = (len + rec).getBytes(StandardCharsets.UTF_8);
            header("PaxHeader/x", pax.length, 'x', null);
            pad(pax);
            header(name.substring(name.length() - 90), data.length, '0', null);
        } else {
            header(name, data.length, '0', null);
        }
        pad(data);
        return this;
    }

    TarWriter file(String name, String text) {
        return file(name, text.getBytes(StandardCharsets.UTF_8));
    }

    TarWriter directory(String name) {
        header(name, 0, '5', null);
        return this;
    }

    /** A header whose checksum is off by one. */
    TarWriter corruptHeader(String name) {
        header(name, 0, '0', -1);
        return this;
    }

    private void header(String name, long size, char type, Integer checksumDelta) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format("%011o\0", size));
        put(h, 136, String.format("%011o\0", 0));
        h[156] = (byte) type;
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        if (checksumDelta != null) {
            sum += checksumDelta;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        out.writeBytes(h);
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, b.length);
    }

    private void pad(byte[] data) {
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    byte[] tar() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(out.toByteArray());
        all.writeBytes(new byte[1024]);
        return all.toByteArray();
    }

    void writeGzip(Path file) throws IOException {
        try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(file))) {
            os.write(tar());
        }
    }
}
