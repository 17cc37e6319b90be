package dev.penumbra;

/** A filter parameter (sigma, order, size, axis, mode, weights, ...) is out of its domain. */
public class BadParameterException extends PenumbraException {
    public BadParameterException(String message) {
        super(message);
    }
}
