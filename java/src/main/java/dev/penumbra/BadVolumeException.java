package dev.penumbra;

/** An input file cannot be read as the volume it claims to be (header, dtype, size, ...). */
public class BadVolumeException extends PenumbraException {
    private static final long serialVersionUID = 1L;

    public BadVolumeException(String message) {
        super(message);
    }

    public BadVolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
