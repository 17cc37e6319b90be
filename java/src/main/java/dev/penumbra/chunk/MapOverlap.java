package dev.penumbra.chunk;

import dev.penumbra.BadParameterException;
import dev.penumbra.PenumbraException;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.Volume;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * dask's {@code map_overlap} on volumes: a function runs on each chunk of a grid, given the chunk
 * grown by a halo (a zero-copy view clipped to the volume) and the matching zero-copy view of the
 * output. With a halo at least the filter's reach — {@code plan.halo()} computes it — and the
 * arithmetic chosen for the whole volume ({@code Engine.arithmeticFor}; each chunk's own data range
 * could choose differently), a filter run per chunk gives the same bytes as on the whole volume, at
 * every chunk edge inside the volume.
 *
 * <pre>{@code
 * // dask: x.map_overlap(ndi.gaussian_filter, depth=12, sigma=3, boundary='none')
 * Plan plan = FilterSpec.gaussian(3).plan(3);
 * Schedule pinned = schedule.withArithmetic(Engine.arithmeticFor(plan, in, out.dtype(), schedule));
 * MapOverlap.run(in, out, new long[] {50, 552, 552}, plan.halo(), executor,
 *     (inHalo, coreOffset, outCore) -> Engine.run(plan, inHalo, coreOffset, outCore, pinned));
 * }</pre>
 */
public final class MapOverlap {
    /** What runs on one chunk. */
    @FunctionalInterface
    public interface ChunkFunction {
        /**
         * @param inHalo     the input chunk with its halo, clipped to the volume (a view)
         * @param coreOffset where the chunk starts inside {@code inHalo}
         * @param outCore    the output chunk (a view) to fill
         */
        void apply(Volume inHalo, long[] coreOffset, Volume outCore);
    }

    private MapOverlap() {
    }

    /** As {@link #run(Volume, Volume, long[], long[], Executor, ChunkFunction)} with the plan's own halo. */
    public static void run(Volume in, Volume out, long[] chunkShape, Plan plan, Executor executor,
                           ChunkFunction fn) {
        run(in, out, chunkShape, plan.halo(), executor, fn);
    }

    /** Runs {@code fn} on every chunk of {@code chunkShape} over {@code in}, in parallel on {@code executor}. */
    public static void run(Volume in, Volume out, long[] chunkShape, long[] halo, Executor executor, ChunkFunction fn) {
        if (!Arrays.equals(in.shape(), out.shape())) {
            throw new BadParameterException("output: shape " + Arrays.toString(out.shape())
                    + " differs from the input's " + Arrays.toString(in.shape()));
        }
        if (halo.length != in.rank()) {
            throw new BadParameterException("depth: expected " + in.rank() + " values, got " + halo.length);
        }
        ChunkGrid grid = new ChunkGrid(in.shape(), chunkShape);
        List<CompletableFuture<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < grid.size(); i++) {
            Chunk c = grid.chunk(i);
            tasks.add(CompletableFuture.runAsync(() -> {
                Volume inHalo = in.haloView(c.lo(), c.hi(), halo);
                long[] off = new long[in.rank()];
                for (int a = 0; a < off.length; a++) {
                    off[a] = c.lo(a) - Math.max(0, c.lo(a) - halo[a]);
                }
                fn.apply(inHalo, off, out.slice(c.lo(), c.hi()));
            }, executor));
        }
        try {
            CompletableFuture.allOf(tasks.toArray(new CompletableFuture<?>[0])).join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new PenumbraException("chunk function failed: " + cause, cause);
        }
    }
}
