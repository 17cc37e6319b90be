package dev.penumbra.engine;

import dev.penumbra.BadParameterException;
import dev.penumbra.backend.Backends;
import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * How to compute a {@link dev.penumbra.filter.Plan}, apart from what (Halide's schedule): the chunk
 * shape (null: chosen from the tile budget and the plan's halo), the number of threads, the
 * backend, and optionally the executor to run chunks on (null: the engine's own threads).
 */
public record Schedule(long[] chunkShape, int threads, Backends.Kind backend, Executor executor) {
    /** Elements of one tile with its halo that the automatic chunk shape aims for (8 MB of doubles). */
    public static final long TILE_BUDGET = 1L << 20;

    /** Volumes up to this many elements are not split just to feed every thread. */
    public static final long SMALL_VOLUME = 1L << 16;

    public Schedule {
        if (threads < 1) {
            throw new BadParameterException("threads: expected a whole number >= 1, got " + threads);
        }
        chunkShape = chunkShape == null ? null : chunkShape.clone();
    }

    /** All cores, the best backend, automatic chunks. */
    public static Schedule defaults() {
        return new Schedule(null, Runtime.getRuntime().availableProcessors(), Backends.best(), null);
    }

    public Schedule withThreads(int t) {
        return new Schedule(chunkShape, t, backend, executor);
    }

    public Schedule withBackend(Backends.Kind b) {
        return new Schedule(chunkShape, threads, b, executor);
    }

    public Schedule withChunks(long... shape) {
        return new Schedule(shape, threads, backend, executor);
    }

    public Schedule withExecutor(Executor e) {
        return new Schedule(chunkShape, threads, backend, e);
    }

    /**
     * The chunk shape for {@code shape}: as given, or halving the longest chunk extent until a tile
     * with its halo fits {@link #TILE_BUDGET} and there are a few chunks per thread. An axis that a
     * chunk spans whole carries no halo (its lines are extended in the line buffer).
     */
    public long[] chunksFor(long[] shape, long[] haloLeft, long[] haloRight) {
        if (chunkShape != null) {
            return chunkShape.clone();
        }
        long[] c = new long[shape.length];
        for (int a = 0; a < shape.length; a++) {
            c[a] = Math.max(1, shape[a]);
        }
        long elements = 1;
        for (long n : shape) {
            elements = saturatingMul(elements, n);
        }
        while (true) {
            long tile = 1;
            long chunks = 1;
            for (int a = 0; a < c.length; a++) {
                long halo = c[a] >= shape[a] ? 0 : haloLeft[a] + haloRight[a];
                tile = saturatingMul(tile, c[a] + halo);
                chunks = saturatingMul(chunks, (Math.max(1, shape[a]) + c[a] - 1) / c[a]);
            }
            if (tile <= TILE_BUDGET && (chunks >= 4L * threads || elements <= SMALL_VOLUME)) {
                return c;
            }
            int longest = -1;
            for (int a = 0; a < c.length; a++) {
                if (c[a] > 1 && (longest < 0 || c[a] > c[longest])) {
                    longest = a;
                }
            }
            if (longest < 0 || (tile <= TILE_BUDGET && c[longest] < 16)) {
                return c;
            }
            c[longest] = (c[longest] + 1) / 2;
        }
    }

    private static long saturatingMul(long a, long b) {
        long r = a * b;
        return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        return "Schedule[chunks " + (chunkShape == null ? "auto" : Arrays.toString(chunkShape)) + ", " + threads
                + " threads, " + backend.name().toLowerCase(java.util.Locale.ROOT) + "]";
    }
}
