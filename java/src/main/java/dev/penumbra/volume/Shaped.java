package dev.penumbra.volume;

/** What {@link Source}s and {@link Sink}s have in common: an element type and a shape. */
public interface Shaped {
    DType dtype();

    /** The extents, axis 0 first (a copy). */
    long[] shape();

    default long shape(int axis) {
        return shape()[axis];
    }

    default int rank() {
        return shape().length;
    }
}
