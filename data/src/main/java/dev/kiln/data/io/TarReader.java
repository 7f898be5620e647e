package dev.kiln.data.io;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.ZipException;

/**
 * Reads tar archives, gzipped ({@code .tgz}, {@code .tar.gz}, as {@code npm pack} writes them) or
 * plain. Understands ustar headers (name with prefix, octal or base-256 sizes, header checksums),
 * pax extended headers ({@code path}, {@code size}) and GNU long names. Regular files are handed to
 * a visitor; directories, links and other entries are reported with their type and skipped.
 */
public final class TarReader {
    private static final int BLOCK = 512;

    /** What an entry is. */
    public enum Kind { FILE, DIRECTORY, OTHER }

    /**
     * One entry of the archive.
     *
     * @param name the path inside the archive, '/'-separated
     * @param size bytes of content
     * @param kind file, directory or other (links, devices...)
     * @param typeFlag the raw ustar type flag
     */
    public record Entry(String name, long size, Kind kind, char typeFlag) {}

    /** Receives each entry; {@code content} yields exactly the entry's bytes and need not be read fully. */
    @FunctionalInterface
    public interface Visitor {
        void visit(Entry entry, InputStream content) throws IOException;
    }

    private TarReader() {}

    /** Visits every entry of {@code archive} (gzipped or plain) in order. */
    public static void read(Path archive, Visitor visitor) throws IOException {
        try (InputStream in = DataFiles.open(archive)) {
            read(in, archive.toString(), visitor);
        } catch (ZipException | EOFException e) {
            throw new MalformedDataException(archive + ": corrupt or truncated archive: " + e.getMessage(), e);
        }
    }

    /** Visits every entry of the (already decompressed) tar stream {@code in}. */
    public static void read(InputStream in, String source, Visitor visitor) throws IOException {
        byte[] header = new byte[BLOCK];
        Map<String, String> pax = new HashMap<>();
        Map<String, String> globalPax = new HashMap<>();
        String longName = null;
        long index = 0;
        while (true) {
            int got = in.readNBytes(header, 0, BLOCK);
            if (got == 0) {
                return; // no end-of-archive blocks: tolerated, as GNU tar does
            }
            if (got < BLOCK) {
                throw new MalformedDataException(source + ": truncated tar header at entry " + index + " (" + got + " of 512 bytes)");
            }
            if (allZero(header)) {
                return; // end of archive
            }
            checkChecksum(header, source, index);
            char type = (char) header[156];
            long size = number(header, 124, 12, source, index, "size");
            String name = string(header, 0, 100);
            if (string(header, 257, 6).startsWith("ustar")) {
                String prefix = string(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            switch (type) {
                case 'x', 'g' -> {
                    byte[] data = readExactly(in, size, source, name);
                    skipPadding(in, size);
                    (type == 'x' ? pax : globalPax).putAll(parsePax(data, source, index));
                    index++;
                    continue;
                }
                case 'L' -> {
                    byte[] data = readExactly(in, size, source, name);
                    skipPadding(in, size);
                    longName = new String(data, StandardCharsets.UTF_8).replaceAll("\0+$", "");
                    index++;
                    continue;
                }
                default -> { }
            }
            Map<String, String> attrs = new HashMap<>(globalPax);
            attrs.putAll(pax);
            if (attrs.containsKey("path")) {
                name = attrs.get("path");
            } else if (longName != null) {
                name = longName;
            }
            if (attrs.containsKey("size")) {
                try {
                    size = Long.parseLong(attrs.get("size"));
                } catch (NumberFormatException e) {
                    throw new MalformedDataException(source + ": entry " + index + " (" + name + "): bad pax size '"
                            + attrs.get("size") + "'", e);
                }
            }
            pax.clear();
            longName = null;
            Kind kind = type == '0' || type == '\0' || type == '7' ? Kind.FILE : type == '5' ? Kind.DIRECTORY : Kind.OTHER;
            // Links, devices, directories and FIFOs carry no data whatever their size field says.
            long dataSize = type >= '1' && type <= '6' ? 0 : size;
            BoundedStream content = new BoundedStream(in, dataSize);
            visitor.visit(new Entry(name, size, kind, type), content);
            content.skipRest(source, name);
            skipPadding(in, dataSize);
            index++;
        }
    }

    /**
     * Extracts the regular files of {@code archive} for which {@code rename} returns a path (null
     * skips the entry) into {@code dest}, creating directories as needed; returns the written files.
     *
     * @throws MalformedDataException if a target path is absolute or leaves {@code dest} ("..")
     */
    public static List<Path> extract(Path archive, Path dest, Function<String, String> rename) throws IOException {
        List<Path> written = new ArrayList<>();
        Path root = dest.toAbsolutePath().normalize();
        read(archive, (entry, content) -> {
            if (entry.kind() != Kind.FILE) {
                return;
            }
            String target = rename.apply(entry.name());
            if (target == null) {
                return;
            }
            Path out = root.resolve(target).normalize();
            if (Path.of(target).isAbsolute() || !out.startsWith(root) || out.equals(root)) {
                throw new MalformedDataException(archive + ": entry '" + entry.name() + "' would be written to "
                        + out + ", outside " + root);
            }
            Files.createDirectories(out.getParent());
            Path tmp = out.resolveSibling(out.getFileName() + ".part");
            try (OutputStream os = Files.newOutputStream(tmp)) {
                content.transferTo(os);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            written.add(out);
        });
        return written;
    }

    // ---- helpers ----

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** The checksum is the sum of the header's bytes, unsigned, with its own field read as spaces. */
    private static void checkChecksum(byte[] h, String source, long index) throws MalformedDataException {
        long stored = number(h, 148, 8, source, index, "checksum");
        long unsigned = 0;
        long signed = 0; // some old tars summed signed bytes
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : h[i];
            unsigned += b & 0xff;
            signed += b;
        }
        if (stored != unsigned && stored != signed) {
            throw new MalformedDataException(source + ": entry " + index + " ('" + string(h, 0, 100)
                    + "'): header checksum " + stored + " does not match the computed " + unsigned + " (corrupt archive?)");
        }
    }

    /** An octal field (NUL/space terminated), or base-256 when the first byte's top bit is set. */
    private static long number(byte[] h, int off, int len, String source, long index, String what)
            throws MalformedDataException {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (h[off + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = off;
        int end = off + len;
        while (i < end && (h[i] == ' ' || h[i] == 0)) {
            i++;
        }
        for (; i < end && h[i] != 0 && h[i] != ' '; i++) {
            if (h[i] < '0' || h[i] > '7') {
                throw new MalformedDataException(source + ": entry " + index + ": " + what + " field is not octal: '"
                        + string(h, off, len) + "'");
            }
            v = (v << 3) | (h[i] - '0');
        }
        return v;
    }

    private static String string(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    /** Pax records: {@code "<length> <key>=<value>\n"}, the length counting the whole record. */
    private static Map<String, String> parsePax(byte[] data, String source, long index) throws MalformedDataException {
        Map<String, String> m = new HashMap<>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new MalformedDataException(source + ": entry " + index + ": bad pax record length", e);
            }
            if (len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] != '\n') {
                throw new MalformedDataException(source + ": entry " + index + ": bad pax record of length " + len);
            }
            String rec = new String(data, space + 1, pos + len - 1 - (space + 1), StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            if (eq < 0) {
                throw new MalformedDataException(source + ": entry " + index + ": pax record without '=': " + rec);
            }
            m.put(rec.substring(0, eq), rec.substring(eq + 1));
            pos += len;
        }
        return m;
    }

    private static byte[] readExactly(InputStream in, long size, String source, String name) throws IOException {
        if (size > 1 << 20) {
            throw new MalformedDataException(source + ": extended header '" + name + "' of " + size + " bytes is implausible");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new MalformedDataException(source + ": truncated: '" + name + "' declares " + size + " bytes, found "
                    + data.length);
        }
        return data;
    }

    private static void skipPadding(InputStream in, long size) throws IOException {
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        in.skipNBytes(pad);
    }

    /** Exactly {@code limit} bytes of the underlying stream; close() does not close it. */
    private static final class BoundedStream extends FilterInputStream {
        private long left;

        BoundedStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new EOFException("tar entry truncated");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("tar entry truncated with " + left + " bytes missing");
            }
            left -= n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(Math.min(n, left));
            left -= s;
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), left);
        }

        @Override
        public void close() {
            // the archive stream stays open for the next entry
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        void skipRest(String source, String name) throws IOException {
            try {
                in.skipNBytes(left);
            } catch (EOFException e) {
                throw new MalformedDataException(source + ": truncated: entry '" + name + "' ends early", e);
            }
            left = 0;
        }
    }
}
