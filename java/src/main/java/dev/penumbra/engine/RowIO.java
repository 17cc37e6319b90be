package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Widen;

/**
 * A worker's reads and writes of runs along the last axis, and the range of what it reads: with
 * {@link #trackRange}, every run {@link #readFloat} brings in is folded into a running {min, max}
 * while it sits in L1 (the float path's bound needs the data's range; a pass of its own would read
 * the input twice). One per worker.
 */
final class RowIO {
    private FloatTileKernel rangeKernel;
    private float[] range;
    private Widen widen;

    /** Reads of 8- and 16-bit integers widen through {@code w} (a backend's C loop; null: Java's). */
    void widenWith(Widen w) {
        widen = w;
    }

    /** Folds the range of everything {@link #readFloat} reads into {@code acc} ({min, max}). */
    void trackRange(FloatTileKernel kernel, float[] acc) {
        rangeKernel = kernel;
        range = acc;
    }

    void read(Source in, long[] at, int count, double[] dst, int dstPos) {
        in.read(at, count, dst, dstPos, widen);
    }

    void readFloat(Source in, long[] at, int count, float[] dst, int dstPos) {
        in.readFloat(at, count, dst, dstPos, widen);
        if (range != null) {
            // the run is in L1 now: the range costs no memory traffic, unlike a pass of its own
            rangeKernel.range(dst, dstPos, count, range);
        }
    }

    void write(Sink out, long[] at, int count, double[] src, int srcPos) {
        out.write(at, count, src, srcPos);
    }

    void writeFloat(Sink out, long[] at, int count, float[] src, int srcPos) {
        out.writeFloat(at, count, src, srcPos);
    }
}
