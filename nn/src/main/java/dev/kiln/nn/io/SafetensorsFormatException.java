package dev.kiln.nn.io;

import java.io.IOException;

/**
 * A file that is not a valid safetensors checkpoint (truncated, corrupt header, offsets that do not
 * tile the data, a dtype Kiln cannot hold, a checksum that does not match...). The message names
 * the file and the problem; {@link #source} and {@link #problem} give them apart (for a command
 * line that prints {@code <file>: <problem>}).
 */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    /** {@code where} is the file (or a description of the source); {@code problem} what is wrong with it. */
    public SafetensorsFormatException(String where, String problem) {
        super("safetensors " + where + ": " + problem);
        this.source = where;
        this.problem = problem;
    }

    /** The file (or source description) the problem is in. */
    public String source() {
        return source;
    }

    /** What is wrong with it, without the file name. */
    public String problem() {
        return problem;
    }
}
