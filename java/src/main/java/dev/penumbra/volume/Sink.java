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

    /**
     * The box {@code [lo, hi)} of this sink as a sink of its own (coordinates relative to {@code lo}):
     * for running the engine into one region of a larger output.
     */
    default Sink region(long[] lo, long[] hi) {
        Sink base = this;
        long[] shape = new long[lo.length];
        for (int a = 0; a < lo.length; a++) {
            shape[a] = hi[a] - lo[a];
        }
        long[] origin = lo.clone();
        return new Sink() {
            @Override
            public DType dtype() {
                return base.dtype();
            }

            @Override
            public long[] shape() {
                return shape.clone();
            }

            private long[] shift(long[] at) {
                long[] g = new long[at.length];
                for (int a = 0; a < at.length; a++) {
                    g[a] = at[a] + origin[a];
                }
                return g;
            }

            @Override
            public void write(long[] at, int count, double[] src, int srcPos) {
                base.write(shift(at), count, src, srcPos);
            }

            @Override
            public void writeFloat(long[] at, int count, float[] src, int srcPos) {
                base.writeFloat(shift(at), count, src, srcPos);
            }

            @Override
            public void doneWriting(long[] l, long[] h) {
                base.doneWriting(shift(l), shift(h));
            }

            @Override
            public void beforeRewrite() {
                base.beforeRewrite();
            }
        };
    }
}
