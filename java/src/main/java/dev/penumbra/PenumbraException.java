package dev.penumbra;

/**
 * Base of every error Penumbra reports about a user's input. The message is one line that names
 * the file or parameter and says what was expected, so that the CLI can print it as it is.
 */
public class PenumbraException extends RuntimeException {
    public PenumbraException(String message) {
        super(message);
    }

    public PenumbraException(String message, Throwable cause) {
        super(message, cause);
    }
}
