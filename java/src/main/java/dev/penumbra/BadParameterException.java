package dev.penumbra;

/**
 * A filter or layout parameter (sigma, order, size, axis, mode, weights, raw shape, ...) is out of
 * its domain. When built with {@link #BadParameterException(String, String)} it names the parameter
 * in the library's words ({@link #parameter()}), so that a front end can name it in its own (the
 * CLI says {@code --offset} where the library says {@code raw offset}).
 */
public class BadParameterException extends PenumbraException {
    private static final long serialVersionUID = 1L;

    private final String parameter;
    private final String detail;

    public BadParameterException(String message) {
        super(message);
        this.parameter = null;
        this.detail = message;
    }

    /** The message is {@code parameter + ": " + detail}. */
    public BadParameterException(String parameter, String detail) {
        super(parameter + ": " + detail);
        this.parameter = parameter;
        this.detail = detail;
    }

    /** The parameter in the library's words, or null when the message does not name one apart. */
    public String parameter() {
        return parameter;
    }

    /** The message without the parameter's name. */
    public String detail() {
        return detail;
    }
}
