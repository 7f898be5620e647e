package dev.kiln.data.text;

import dev.kiln.data.io.DataFiles;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;

/**
 * Streams the messages of an mbox file (RFC 4155) one at a time, so a mailbox of any size is read
 * in the memory of its largest message. A message starts at a separator line: {@code From } at
 * the start of a line that is the file's first line or follows an empty line, and that carries a
 * time of day ({@code From sender Thu Aug 22 13:17:22 2002}) — the last two conditions keep a
 * body line that happens to start with "From " from splitting a message in mailboxes whose writer
 * did not escape it. The separator is not part of the message (see {@link Message#envelope}); the
 * empty line before the next separator is dropped. Text before the first separator (a file that
 * is a single message without one) is returned as a message with no envelope when it is not blank.
 *
 * <p>With {@code unescapeMboxrd}, lines {@code >From }, {@code >>From }, ... lose one '>' (the
 * mboxrd convention); otherwise lines are returned as they are. Gzipped files are read as such.
 * Not thread-safe.
 */
public final class MboxReader implements Iterator<MboxReader.Message>, Closeable {
    /**
     * One message: its separator line without "From " and the line break (null when there was
     * none), its bytes, and the line number of its first line in the file.
     */
    public record Message(String envelope, byte[] bytes, long firstLine) {
        /** The parsed message. */
        public MailMessage parse() {
            return MailMessage.parse(bytes);
        }
    }

    private static final Pattern TIME_OF_DAY = Pattern.compile("\\b\\d{1,2}:\\d{2}\\b");

    private final InputStream in;
    private final String source;
    private final boolean unescapeMboxrd;
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean lineReady;
    private boolean eof;
    private long lineNumber;
    private boolean previousLineEmpty = true;
    private Message next;

    /** Reads {@code in} (closed by {@link #close}); {@code source} names it in error messages. */
    public MboxReader(InputStream in, String source, boolean unescapeMboxrd) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        this.source = source;
        this.unescapeMboxrd = unescapeMboxrd;
    }

    /** Opens {@code file} (gzipped or not), without mboxrd unescaping. */
    public static MboxReader open(Path file) throws IOException {
        return new MboxReader(DataFiles.open(file), file.toString(), false);
    }

    /** @throws UncheckedIOException when reading fails, naming the source and line */
    @Override
    public boolean hasNext() {
        if (next == null) {
            try {
                next = readMessage();
            } catch (IOException e) {
                throw new UncheckedIOException(source + ": line " + lineNumber + ": " + e.getMessage(), e);
            }
        }
        return next != null;
    }

    @Override
    public Message next() {
        if (!hasNext()) {
            throw new NoSuchElementException(source + ": no more messages after line " + lineNumber);
        }
        Message m = next;
        next = null;
        return m;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** The next message that has an envelope or some text, or null at the end of the input. */
    private Message readMessage() throws IOException {
        while (true) {
            Message m = readUpToSeparator();
            if (m == null || m.envelope() != null || !isBlank(m.bytes())) {
                return m;
            }
        }
    }

    /** The lines up to the next separator (or the end), or null when the input is exhausted. */
    private Message readUpToSeparator() throws IOException {
        String envelope = null;
        long first = -1;
        boolean started = false;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] heldEmpty = null; // the empty line before a separator belongs to the separator, so hold it back
        while (peekLine()) {
            boolean separator = isSeparator();
            if (separator && started) {
                break; // leave the line for the next message
            }
            lineReady = false;
            started = true;
            boolean empty = contentLength() == 0;
            previousLineEmpty = empty;
            if (separator) {
                envelope = new String(line, 5, contentLength() - 5, StandardCharsets.ISO_8859_1).strip();
                continue;
            }
            if (first < 0) {
                first = lineNumber;
            }
            if (heldEmpty != null) {
                body.write(heldEmpty);
                heldEmpty = null;
            }
            if (empty) {
                heldEmpty = java.util.Arrays.copyOf(line, lineLength);
                continue;
            }
            int skip = unescapeMboxrd && isEscapedFrom() ? 1 : 0;
            body.write(line, skip, lineLength - skip);
        }
        if (!started) {
            return null;
        }
        return new Message(envelope, body.toByteArray(), first < 0 ? lineNumber + 1 : first);
    }

    /** Makes the next line current (without consuming it); false at the end of the input. */
    private boolean peekLine() throws IOException {
        if (lineReady) {
            return true;
        }
        if (eof) {
            return false;
        }
        lineLength = 0;
        int b;
        while ((b = in.read()) >= 0) {
            if (lineLength == line.length) {
                line = java.util.Arrays.copyOf(line, line.length * 2);
            }
            line[lineLength++] = (byte) b;
            if (b == '\n') {
                break;
            }
        }
        if (b < 0) {
            eof = true;
            if (lineLength == 0) {
                return false;
            }
        }
        lineNumber++;
        lineReady = true;
        return true;
    }

    /** The current line's length without its line break. */
    private int contentLength() {
        int n = lineLength;
        if (n > 0 && line[n - 1] == '\n') {
            n--;
        }
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        return n;
    }

    private boolean isSeparator() {
        if (!previousLineEmpty || !MailHeaders.startsWith(line, 0, lineLength, "From ")) {
            return false;
        }
        String rest = new String(line, 5, contentLength() - 5, StandardCharsets.ISO_8859_1);
        return TIME_OF_DAY.matcher(rest).find();
    }

    /** {@code >From }, {@code >>From }, ...: an mboxrd-escaped body line. */
    private boolean isEscapedFrom() {
        int i = 0;
        while (i < lineLength && line[i] == '>') {
            i++;
        }
        return i > 0 && MailHeaders.startsWith(line, i, lineLength, "From ");
    }

    private static boolean isBlank(byte[] b) {
        for (byte x : b) {
            if (x != ' ' && x != '\t' && x != '\r' && x != '\n') {
                return false;
            }
        }
        return true;
    }
}
