package dev.penumbra.chunk;

import java.util.Arrays;

/** One chunk of a {@link ChunkGrid}: its index and the box {@code [lo, hi)} it covers. A value. */
public record Chunk(int index, long[] lo, long[] hi) {
    public Chunk {
        lo = lo.clone();
        hi = hi.clone();
    }

    @Override
    public long[] lo() {
        return lo.clone();
    }

    @Override
    public long[] hi() {
        return hi.clone();
    }

    /** Coordinate {@code a} of the box's low corner (no copy). */
    public long lo(int a) {
        return lo[a];
    }

    /** Coordinate {@code a} of the box's high corner, exclusive (no copy). */
    public long hi(int a) {
        return hi[a];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Chunk c && index == c.index && Arrays.equals(lo, c.lo) && Arrays.equals(hi, c.hi);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * index + Arrays.hashCode(lo)) + Arrays.hashCode(hi);
    }

    /** The extent of the box on each axis. */
    public long[] shape() {
        long[] s = new long[lo.length];
        for (int a = 0; a < s.length; a++) {
            s[a] = hi[a] - lo[a];
        }
        return s;
    }

    @Override
    public String toString() {
        return "Chunk#" + index + Arrays.toString(lo) + ".." + Arrays.toString(hi);
    }
}
