package dev.penumbra.volume;

/**
 * Where the engine writes its output: an N-d array of float32 or float64, written one run along the
 * last axis at a time and addressed by coordinates. Writes come from several threads at once, each
 * to runs of its own. {@link Volume} (mapped files and off-heap memory) is the first implementation.
 */
public interface Sink extends Shaped {
    /**
     * Writes {@code count} values along the last axis, starting at the element whose coordinates are
     * {@code at}, from {@code src[srcPos..]}, rounded to the sink's element type.
     */
    void write(long[] at, int count, double[] src, int srcPos);

    /** As {@link #write}, from floats. */
    void writeFloat(long[] at, int count, float[] src, int srcPos);

    /**
     * This run will not write the box {@code [lo, hi)} again: a sink may start writing it to its
     * storage and let its memory go (advice only).
     */
    default void doneWriting(long[] lo, long[] hi) {
    }

    /**
     * The run is about to write the whole output again (the float path's bound failed and the double
     * path redoes it): a sink that stores finished regions in the background finishes storing the
     * first round's before the second begins.
     */
    default void beforeRewrite() {
    }
}
