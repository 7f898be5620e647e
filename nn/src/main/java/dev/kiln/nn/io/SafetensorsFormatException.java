package dev.kiln.nn.io;

import java.io.IOException;

/**
 * A file that is not a valid safetensors checkpoint (truncated, corrupt header, offsets that do not
 * tile the data, a dtype Kiln cannot hold...). The message names the file and the problem.
 */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** {@code where} is the file (or a description of the source); {@code problem} what is wrong with it. */
    public SafetensorsFormatException(String where, String problem) {
        super("safetensors " + where + ": " + problem);
    }
}
