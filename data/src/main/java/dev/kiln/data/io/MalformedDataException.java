package dev.kiln.data.io;

import java.io.IOException;

/**
 * A file is not what its format says it should be. The message starts with the file's name (or
 * the source name given to a parser) and, where it applies, the line and column or byte offset.
 */
public final class MalformedDataException extends IOException {
    private static final long serialVersionUID = 1L;

    public MalformedDataException(String message) {
        super(message);
    }

    public MalformedDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
