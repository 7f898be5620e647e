package dev.kiln.optim.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file that is truncated, not a valid safetensors file, or whose checksum does not match its contents. */
public final class CorruptCheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CorruptCheckpointException(Path file, String problem, Throwable cause) {
        super("corrupt checkpoint " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that failed verification. */
    public Path file() {
        return file;
    }
}
