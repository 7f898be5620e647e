package dev.kiln.data.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Path;
import java.util.List;

/** Plain-text files, gzipped or not, decoded strictly (a bad byte is an error) or leniently. */
public final class TextFile {
    private TextFile() {}

    /**
     * The text of {@code file} in {@code charset}.
     *
     * @throws MalformedDataException naming the file, byte offset and line of the first byte
     *     sequence that is not valid in {@code charset}
     */
    public static String read(Path file, Charset charset) throws IOException {
        return decode(DataFiles.readAllBytes(file), charset, file.toString());
    }

    /** The text of {@code file}, invalid byte sequences replaced by U+FFFD. */
    public static String readLenient(Path file, Charset charset) throws IOException {
        return new String(DataFiles.readAllBytes(file), charset);
    }

    /** The lines of {@code file} (strictly decoded), without their terminators (LF or CRLF). */
    public static List<String> lines(Path file, Charset charset) throws IOException {
        return read(file, charset).lines().toList();
    }

    /** Decodes {@code bytes}, reporting the first malformed or unmappable sequence with its position. */
    public static String decode(byte[] bytes, Charset charset, String source) throws MalformedDataException {
        CharsetDecoder dec = charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 16,
                (long) Math.ceil(bytes.length * (double) dec.maxCharsPerByte()) + 1));
        CoderResult r = dec.decode(in, out, true);
        if (r.isUnderflow()) {
            r = dec.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int k = 0; k < at; k++) {
                if (bytes[k] == '\n') {
                    line++;
                }
            }
            throw new MalformedDataException(String.format("%s: line %d, byte offset %d: %s %s byte sequence (first byte 0x%02x)",
                    source, line, at, r.isMalformed() ? "malformed" : "unmappable", charset.name(), bytes[at] & 0xff));
        }
        if (r.isOverflow()) {
            try {
                return charset.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new MalformedDataException(source + ": cannot decode as " + charset.name(), e);
            }
        }
        return out.flip().toString();
    }
}
