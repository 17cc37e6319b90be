package dev.penumbra.chunk;

import java.util.Arrays;

/** One chunk of a {@link ChunkGrid}: its index and the box {@code [lo, hi)} it covers. */
public record Chunk(int index, long[] lo, long[] hi) {
    public Chunk {
        lo = lo.clone();
        hi = hi.clone();
    }

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
