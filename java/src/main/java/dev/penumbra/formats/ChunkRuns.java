package dev.penumbra.formats;

/**
 * The arithmetic of a regular chunk grid that readers and writers of chunked arrays share: a run
 * of elements along the last axis cut at chunk borders, and the index of a chunk on the grid.
 */
public final class ChunkRuns {
    private ChunkRuns() {
    }

    /** One piece of a run: inside the chunk at grid coordinates {@code u}, from {@code local}. */
    public interface Piece {
        /**
         * {@code n} elements of chunk {@code u} from its element {@code local}, which are elements
         * {@code off ..} of the run ({@code u} and {@code local} are reused for the next piece).
         */
        void at(long[] u, long[] local, int n, int off);
    }

    /** Cuts the run of {@code count} elements from {@code at} along the last axis at the borders of {@code chunk}. */
    public static void split(long[] at, int count, long[] chunk, Piece piece) {
        int rank = at.length;
        long[] u = new long[rank];
        long[] local = new long[rank];
        for (int a = 0; a < rank - 1; a++) {
            u[a] = at[a] / chunk[a];
            local[a] = at[a] - u[a] * chunk[a];
        }
        int last = rank - 1;
        long x = at[last];
        long end = x + count;
        int off = 0;
        while (x < end) {
            u[last] = x / chunk[last];
            local[last] = x - u[last] * chunk[last];
            int n = (int) Math.min(end - x, (u[last] + 1) * chunk[last] - x);
            piece.at(u, local, n, off);
            x += n;
            off += n;
        }
    }

    /** Chunks per axis of {@code shape} in chunks of {@code chunk}. */
    public static long[] grid(long[] shape, long[] chunk) {
        long[] g = new long[shape.length];
        for (int a = 0; a < shape.length; a++) {
            g[a] = chunk[a] == 0 ? 0 : (shape[a] + chunk[a] - 1) / chunk[a];
        }
        return g;
    }

    /** The index (C order over {@code grid}) of the chunk at grid coordinates {@code u}. */
    public static long index(long[] u, long[] grid) {
        long i = 0;
        for (int a = 0; a < u.length; a++) {
            i = i * grid[a] + u[a];
        }
        return i;
    }

    /** The grid coordinates of the unit with C-order index {@code i} ({@link #index}'s inverse). */
    public static long[] coordinates(long i, long[] grid) {
        long[] u = new long[grid.length];
        for (int a = grid.length - 1; a >= 0; a--) {
            u[a] = i % grid[a];
            i /= grid[a];
        }
        return u;
    }

    /** Units in a grid: the product of its extents. */
    public static long count(long[] grid) {
        long n = 1;
        for (long g : grid) {
            n *= g;
        }
        return n;
    }
}
