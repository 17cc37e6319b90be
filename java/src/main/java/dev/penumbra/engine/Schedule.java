package dev.penumbra.engine;

import dev.penumbra.BadParameterException;
import dev.penumbra.backend.Backends;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How to compute a {@link dev.penumbra.filter.Plan}, apart from what (Halide's schedule): the
 * {@link Strategy}, the chunk shape (null: chosen from the tile budget and the plan's halo), the
 * number of threads, the backend, the arithmetic of float32 data, the streaming scratch budget,
 * and optionally the executor to run chunks on (null: the engine's own threads) and a
 * {@link Monitor}. A value: {@link #chunkShape()} returns a copy, and equal settings are equal.
 *
 * <pre>{@code
 * Schedule s = Schedule.defaults().withThreads(2).withBackend(Backends.Kind.NATIVE).withStrategy(Strategy.TEAM);
 * Run run = Engine.run(plan, in, out, s);   // run.strategy() == TEAM
 * }</pre>
 */
public record Schedule(long[] chunkShape, int threads, Backends.Kind backend, Executor executor, Strategy strategy,
                       Arithmetic arithmetic, long scratchBytes, Monitor monitor) {
    /**
     * How float32 data is computed: AUTO takes the float32 path when its error bound for the input
     * at hand meets the parity tolerance (Engine.usesFloatPath reads the input's range for that),
     * FLOAT32 whenever the backend and dtypes allow it, FLOAT64 never. Runs whose results must
     * agree byte for byte, such as the chunks of one volume run one at a time, pin the choice made
     * for the whole volume ({@link Engine#arithmeticFor}).
     */
    public enum Arithmetic { AUTO, FLOAT32, FLOAT64 }

    /**
     * Elements of one tile buffer, halo included, that the automatic chunk shape aims for: 16 MB of
     * float scratch (two buffers a thread) or 32 MB of double scratch (one).
     */
    public static final long TILE_BUDGET = 4L << 20;

    /** Heap bytes a worker keeps per tile element: two float buffers, or one double buffer. */
    static final long SCRATCH_BYTES_PER_ELEMENT = 8;

    /** The most threads a schedule accepts (per-thread scratch and pools grow with them). */
    public static final int MAX_THREADS = 4096;

    /** Volumes up to this many elements are not split just to feed every thread. */
    public static final long SMALL_VOLUME = 1L << 16;

    public Schedule {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new BadParameterException("threads", "expected a whole number from 1 to " + MAX_THREADS + ", got "
                    + threads);
        }
        if (scratchBytes < 0) {
            throw new BadParameterException("scratch bytes", "expected 0 (half the heap) or a positive budget, got "
                    + scratchBytes);
        }
        chunkShape = chunkShape == null ? null : chunkShape.clone();
        arithmetic = arithmetic == null ? Arithmetic.AUTO : arithmetic;
        strategy = strategy == null ? Strategy.AUTO : strategy;
        backend = Objects.requireNonNull(backend, "backend");
    }

    /** All cores, the best backend, automatic strategy and chunks. */
    public static Schedule defaults() {
        return new Schedule(null, Runtime.getRuntime().availableProcessors(), Backends.best(), null, Strategy.AUTO,
                Arithmetic.AUTO, 0, null);
    }

    @Override
    public long[] chunkShape() {
        return chunkShape == null ? null : chunkShape.clone();
    }

    /** False for {@link Strategy#UNFUSED}: one pass per axis over the whole volume. */
    public boolean fused() {
        return strategy != Strategy.UNFUSED;
    }

    /** Fused (automatic strategy) or {@link Strategy#UNFUSED}. */
    public Schedule withFused(boolean f) {
        return withStrategy(f ? (strategy == Strategy.UNFUSED ? Strategy.AUTO : strategy) : Strategy.UNFUSED);
    }

    /** Forces a strategy, or {@link Strategy#AUTO} to let the engine choose. */
    public Schedule withStrategy(Strategy s) {
        return new Schedule(chunkShape, threads, backend, executor, s, arithmetic, scratchBytes, monitor);
    }

    /** Worker threads, 1 to {@link #MAX_THREADS}. */
    public Schedule withThreads(int t) {
        return new Schedule(chunkShape, t, backend, executor, strategy, arithmetic, scratchBytes, monitor);
    }

    /** The kernels that run (see {@link Backends}). */
    public Schedule withBackend(Backends.Kind b) {
        return new Schedule(chunkShape, threads, b, executor, strategy, arithmetic, scratchBytes, monitor);
    }

    /** A chunk shape of the caller's (tiles only); null: chosen from the tile budget. */
    public Schedule withChunks(long... shape) {
        return new Schedule(shape, threads, backend, executor, strategy, arithmetic, scratchBytes, monitor);
    }

    /** Runs the chunks on {@code e} instead of the engine's own threads (null: the engine's). */
    public Schedule withExecutor(Executor e) {
        return new Schedule(chunkShape, threads, backend, e, strategy, arithmetic, scratchBytes, monitor);
    }

    /** The arithmetic for float32 data (see {@link Arithmetic}). */
    public Schedule withArithmetic(Arithmetic a) {
        return new Schedule(chunkShape, threads, backend, executor, strategy, a, scratchBytes, monitor);
    }

    /**
     * Bytes of heap that streaming scratch (slabs, rings) may take for all threads together; 0: half
     * the heap. Slabs too large for it are cut along axis 0 (with a halo), and when even that does
     * not fit, the run takes tiles.
     */
    public Schedule withScratchBytes(long bytes) {
        return new Schedule(chunkShape, threads, backend, executor, strategy, arithmetic, bytes, monitor);
    }

    /** Watches the run: phases, threads, progress ({@link Monitor}); null: nothing is recorded. */
    public Schedule withMonitor(Monitor m) {
        return new Schedule(chunkShape, threads, backend, executor, strategy, arithmetic, scratchBytes, m);
    }

    /** The streaming scratch budget in bytes: as set, or half the heap. */
    long scratchBudget() {
        return scratchBytes > 0 ? scratchBytes : Runtime.getRuntime().maxMemory() / 2;
    }

    /**
     * The chunk shape for {@code shape}: as given, or cut until a tile buffer with its halo fits
     * {@link #TILE_BUDGET} and there are a few chunks per thread. Axes are cut in the order
     * that costs least: the middle axes first, then axis 0, the contiguous axis last. A halo on the
     * axis of the first pass costs only its gather, but a halo on a later pass's axis must be
     * computed by every earlier pass, and cutting the contiguous axis also shortens the vector
     * loops. An axis that a chunk spans whole carries no halo.
     */
    public long[] chunksFor(long[] shape, long[] haloLeft, long[] haloRight) {
        if (chunkShape != null) {
            return chunkShape.clone();
        }
        // scratch lives on the heap (vector loads from arrays beat loads from segments): leave room
        long budget = Math.max(1 << 16, Math.min(TILE_BUDGET,
                Runtime.getRuntime().maxMemory() / 4 / threads / SCRATCH_BYTES_PER_ELEMENT));
        int rank = shape.length;
        long[] c = new long[rank];
        long elements = 1;
        for (int a = 0; a < rank; a++) {
            c[a] = Math.max(1, shape[a]);
            elements = saturatingMul(elements, shape[a]);
        }
        int[] cutOrder = new int[rank];
        int k = 0;
        for (int a = 1; a < rank - 1; a++) {
            cutOrder[k++] = a;
        }
        if (rank > 1) {
            cutOrder[k++] = 0;
        }
        cutOrder[k] = rank - 1;
        for (int axis : cutOrder) {
            while (c[axis] > 8 && !fits(shape, c, haloLeft, haloRight, budget, elements)) {
                c[axis] = (c[axis] + 1) / 2;
            }
        }
        return c;
    }

    private boolean fits(long[] shape, long[] c, long[] haloLeft, long[] haloRight, long budget, long elements) {
        long tile = 1;
        long chunks = 1;
        for (int a = 0; a < c.length; a++) {
            long halo = c[a] >= shape[a] ? 0 : haloLeft[a] + haloRight[a];
            tile = saturatingMul(tile, c[a] + halo);
            chunks = saturatingMul(chunks, (Math.max(1, shape[a]) + c[a] - 1) / c[a]);
        }
        return tile <= budget && (chunks >= 4L * threads || elements <= SMALL_VOLUME);
    }

    private static long saturatingMul(long a, long b) {
        long r = a * b;
        return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE : r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schedule s && Arrays.equals(chunkShape, s.chunkShape) && threads == s.threads
                && backend == s.backend && Objects.equals(executor, s.executor) && strategy == s.strategy
                && arithmetic == s.arithmetic && scratchBytes == s.scratchBytes && Objects.equals(monitor, s.monitor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(chunkShape), threads, backend, executor, strategy, arithmetic,
                scratchBytes, monitor);
    }

    @Override
    public String toString() {
        return "Schedule[chunks " + (chunkShape == null ? "auto" : Arrays.toString(chunkShape)) + ", " + threads
                + " threads, " + backend.name().toLowerCase(Locale.ROOT)
                + (strategy == Strategy.AUTO ? "" : ", " + strategy.name().toLowerCase(Locale.ROOT))
                + (arithmetic == Arithmetic.AUTO ? "" : ", " + arithmetic.name().toLowerCase(Locale.ROOT))
                + (scratchBytes == 0 ? "" : ", scratch " + scratchBytes + " bytes") + "]";
    }
}
