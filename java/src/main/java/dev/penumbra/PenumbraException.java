package dev.penumbra;

/**
 * Base of every error Penumbra reports about a user's input. The message is one line that names
 * the file or parameter and says what was expected, so that the CLI can print it as it is.
 */
public class PenumbraException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PenumbraException(String message) {
        super(message);
    }

    public PenumbraException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The first line of the innermost cause's message: frameworks (Spark) wrap a worker's error in
     * several layers, and the CLI prints one line.
     */
    public static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage() == null ? r.toString() : r.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
