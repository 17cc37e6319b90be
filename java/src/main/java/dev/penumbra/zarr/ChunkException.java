package dev.penumbra.zarr;

/** A chunk's bytes do not decode: what is wrong with them (the reader adds which chunk). */
final class ChunkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ChunkException(String message) {
        super(message);
    }

    ChunkException(String message, Throwable cause) {
        super(message, cause);
    }
}
