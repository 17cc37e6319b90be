package dev.penumbra;

/** The output cannot be written where it was asked for (same as input, directory missing, ...). */
public class OutputException extends PenumbraException {
    private static final long serialVersionUID = 1L;

    public OutputException(String message) {
        super(message);
    }

    public OutputException(String message, Throwable cause) {
        super(message, cause);
    }
}
