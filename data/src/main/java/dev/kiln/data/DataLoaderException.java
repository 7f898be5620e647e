package dev.kiln.data;

/**
 * Reading or collating a batch failed. The message names the batch (epoch, position, dataset
 * indices); {@link #getCause()} is what the dataset or collate function threw. Thrown in the
 * consumer's thread whether the batch was built there or on the prefetch thread.
 */
public final class DataLoaderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataLoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
