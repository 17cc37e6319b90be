package dev.penumbra.chunk;

import dev.penumbra.BadParameterException;
import java.util.Arrays;

/**
 * A regular grid of chunks over a shape; the last chunk on each axis may be smaller (shapes need
 * not divide evenly), as dask's chunks.
 */
public final class ChunkGrid {
    private final long[] shape;
    private final long[] chunk;
    private final long[] counts;
    private final int size;

    public ChunkGrid(long[] shape, long[] chunkShape) {
        if (chunkShape.length != shape.length) {
            throw new BadParameterException("chunks: expected " + shape.length + " extents, got " + chunkShape.length);
        }
        this.shape = shape.clone();
        this.chunk = new long[shape.length];
        this.counts = new long[shape.length];
        long n = 1;
        for (int a = 0; a < shape.length; a++) {
            if (chunkShape[a] < 1) {
                throw new BadParameterException("chunks: extent " + chunkShape[a] + " on axis " + a + " is not positive");
            }
            chunk[a] = Math.min(chunkShape[a], Math.max(1, shape[a]));
            counts[a] = shape[a] == 0 ? 0 : (shape[a] + chunk[a] - 1) / chunk[a];
            n *= counts[a];
        }
        if (n > Integer.MAX_VALUE) {
            throw new BadParameterException("chunks: " + Arrays.toString(chunkShape) + " makes " + n
                    + " chunks, too many; use larger chunks");
        }
        this.size = (int) n;
    }

    /** How many chunks the grid has. */
    public int size() {
        return size;
    }

    /** The shape of a full chunk (those at the far edges may be smaller); a copy. */
    public long[] chunkShape() {
        return chunk.clone();
    }

    /** Chunks along each axis; a copy. */
    public long[] counts() {
        return counts.clone();
    }

    /** Chunk {@code index}, in C order over the grid. */
    public Chunk chunk(int index) {
        long[] lo = new long[shape.length];
        long[] hi = new long[shape.length];
        long rest = index;
        for (int a = shape.length - 1; a >= 0; a--) {
            long c = rest % counts[a];
            rest /= counts[a];
            lo[a] = c * chunk[a];
            hi[a] = Math.min(shape[a], lo[a] + chunk[a]);
        }
        return new Chunk(index, lo, hi);
    }
}
