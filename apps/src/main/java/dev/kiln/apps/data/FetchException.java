package dev.kiln.apps.data;

/** A fetch could not complete; the message says what failed and what to run by hand. */
final class FetchException extends Exception {
    private static final long serialVersionUID = 1L;

    FetchException(String message) {
        super(message);
    }

    FetchException(String message, Throwable cause) {
        super(message, cause);
    }
}
