package dev.penumbra.engine;

import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import dev.penumbra.PenumbraException;
import dev.penumbra.backend.Backends;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.chunk.ChunkGrid;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link Plan} on volumes with a {@link Schedule}: the output is cut into chunks, and each
 * worker thread takes chunks one after another, gathering each with its halo from the input,
 * filtering it in its own scratch and scattering the result. Every output element is computed the
 * same way whatever the chunking, so any schedule gives the same bytes.
 */
public final class Engine {
    /** Bytes of streaming scratch allowed for all threads; 0: half the heap. Tests lower it. */
    static volatile long streamScratchLimit;

    /** The axis-0 chunk of the last streamed run (-1: it did not stream), for tests. */
    static volatile long lastStreamZChunk;


    /** True when the last AUTO run redid its output in double (the float bound failed), for tests. */
    static volatile boolean lastRanTwice;

    /** True when the last run streamed with a team of threads, for tests. */
    static volatile boolean lastStreamTeam;

    private Engine() {
    }

    /** Filters all of {@code in} into {@code out} (same shape; out float32 or float64). */
    public static void run(Plan plan, Volume in, Volume out, Schedule schedule) {
        run(plan, in, new long[in.rank()], out, schedule);
    }

    /**
     * Filters the box of {@code in} that starts at {@code outOrigin} and has {@code out}'s shape into
     * {@code out}. Lines are extended by the boundary modes at the edges of {@code in} only, so a
     * chunk's output is computed from the real neighbours wherever {@code in} has them.
     */
    public static void run(Plan plan, Volume in, long[] outOrigin, Volume out, Schedule schedule) {
        check(plan, in, outOrigin, out);
        if (out.elementCount() == 0) {
            return;
        }
        boolean unfused = !schedule.fused() && plan.terms().size() == 1 && plan.terms().get(0).passes().size() > 1;
        Monitor mon = schedule.monitor();
        if (mon != null) {
            mon.begin(out.elementCount() * (unfused ? plan.terms().get(0).passes().size() : 1));
        }
        boolean useFloat = switch (schedule.arithmetic()) {
            case FLOAT32 -> floatCapable(in.dtype(), out.dtype(), schedule);
            case FLOAT64 -> false;
            case AUTO -> floatCapable(in.dtype(), out.dtype(), schedule) && plan.float32Roundings() * 0x1p-24
                    <= FLOAT_PATH_TOLERANCE;
        };
        lastRanTwice = false;
        Boolean finiteInput = null; // known once a float run has read the input
        if (useFloat && schedule.arithmetic() == Schedule.Arithmetic.AUTO) {
            if (unfused) {
                // the passes after the first read intermediates: read the input's range first
                useFloat = usesFloatPath(plan, in, outOrigin, out, schedule);
            } else {
                // optimistic: the float run folds the range of every value it reads into `seen`
                // (in cache, as it gathers) and the double path redoes the output if the bound fails
                float[] seen = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                run(plan, in, outOrigin, out, schedule, true, seen);
                if (boundHolds(plan, seen)) {
                    return;
                }
                lastRanTwice = true;
                finiteInput = Float.isFinite(seen[0]) && Float.isFinite(seen[1]);
                if (mon != null) {
                    mon.redo();
                }
                useFloat = false;
            }
        }
        if (!useFloat && runsMeans(plan) && (plan.readsCval() && !Double.isFinite(plan.cval())
                || (in.dtype() == DType.F32 || in.dtype() == DType.F64) && !(finiteInput != null ? finiteInput
                : DataRange.allFinite(dependence(plan, in, outOrigin, out))))) {
            // uniform_filter1d's running sum spreads NaN and inf along whole lines: one pass at a
            // time, each over chunks that hold whole lines of its axis, reproduces that exactly
            runUnfused(plan, in, outOrigin, out, schedule, false, true);
            return;
        }
        if (unfused) {
            runUnfused(plan, in, outOrigin, out, schedule, useFloat, false);
            return;
        }
        run(plan, in, outOrigin, out, schedule, useFloat, null);
    }

    /** True when a pass of the plan is scipy's uniform_filter1d (a running sum). */
    private static boolean runsMeans(Plan plan) {
        return plan.terms().stream().flatMap(t -> t.passes().stream()).anyMatch(p -> p.kernel().runningMean());
    }

    /** Runs with the arithmetic (float32 path or double path) already chosen for the whole plan. */
    private static void run(Plan plan, Volume in, long[] outOrigin, Volume out, Schedule schedule,
                            boolean useFloat, float[] seen) {
        LineKernel kernel = Backends.kernel(schedule.backend());
        FloatTileKernel floatKernel = Backends.floatKernel(schedule.backend());
        long[] hl = plan.haloLeft();
        long[] hr = plan.haloRight();
        int streamAxis = SlabStream.streamAxis(out.shape());
        long zChunk = out.shape(0);
        boolean stream = useFloat && schedule.chunkShape() == null && isWhole(in, outOrigin, out)
                && SlabStream.canRun(plan, streamAxis);
        if (stream) {
            // slabs too large for the heap: cut axis 0 (its pass consumes the halo before the ring)
            long heap = streamScratchLimit > 0 ? streamScratchLimit : Runtime.getRuntime().maxMemory() / 2;
            while (SlabStream.scratchFloats(plan, out.shape(), streamAxis, zChunk) * 4 * schedule.threads() > heap
                    && SlabStream.canCutAxis0(plan, streamAxis) && zChunk > 8) {
                zChunk = (zChunk + 1) / 2;
            }
            stream = SlabStream.scratchFloats(plan, out.shape(), streamAxis, zChunk) * 4 * schedule.threads()
                    <= heap;
        }
        boolean streaming = stream;
        // threads stream each chunk together, one ring for all, when the plan allows it
        SlabStream.Team team = stream && zChunk == out.shape(0)
                && SlabStream.canTeam(plan, out.shape(), streamAxis, schedule.threads())
                ? new SlabStream.Team(schedule.threads()) : null;
        lastStreamTeam = team != null;
        int zChunkFinal = (int) zChunk;
        lastStreamZChunk = stream ? zChunk : -1;
        ChunkGrid grid;
        if (stream) {
            // ranges of the stream axis, a few per thread, long enough that the recomputed reach is small
            long n = out.shape(streamAxis);
            long reach = hl[streamAxis] + hr[streamAxis];
            long zChunks = (out.shape(0) + zChunk - 1) / zChunk;
            // (a team runs every chunk together: one chunk per 256 MB of input, so that advice on a
            // huge mapping stays chunk-sized)
            long perThread = team != null ? Math.max(1, Math.ceilDiv(in.byteSize(), 256L << 20))
                    : Math.max(1, 4L * schedule.threads() / zChunks);
            long rows = Math.max(Math.max(1, (n + perThread - 1) / perThread), 4 * reach);
            long[] c = out.shape();
            c[streamAxis] = Math.min(n, rows);
            if (streamAxis != 0) {
                c[0] = zChunk;
            }
            grid = new ChunkGrid(out.shape(), c);
        } else {
            grid = new ChunkGrid(out.shape(), schedule.chunksFor(out.shape(), hl, hr));
            checkScratch(grid, out, hl, hr, schedule);
        }
        int workers = team != null ? team.size : Math.min(schedule.threads(), grid.size());
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Monitor mon = schedule.monitor();
        if (mon != null) {
            mon.layout(grid.size(), workers, team != null, useFloat);
        }
        AtomicInteger ids = new AtomicInteger();
        // workers stop at their next batch or tile once any of them failed or the caller was interrupted
        java.util.function.BooleanSupplier stop = () -> failure.get() != null || Thread.currentThread().isInterrupted();
        Runnable work = team != null ? () -> {
            // every member runs every chunk, on its own rows
            float[] mine = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            try {
                SlabStream member = new SlabStream(plan, in, out, floatKernel, streamAxis, zChunkFinal,
                        team, next.getAndIncrement());
                track(member, floatKernel, seen, mine);
                int id = ids.getAndIncrement();
                member.attach(mon, stop, id);
                for (int i = 0; i < grid.size(); i++) {
                    if (stop.getAsBoolean()) {
                        throw new PenumbraException("interrupted");
                    }
                    runChunk(member, grid.chunk(i), mon, id, false);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                team.barrier.breakAll();
            }
            merge(seen, mine);
        } : () -> {
            float[] mine = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            ChunkWorker worker = streaming ? new SlabStream(plan, in, out, floatKernel, streamAxis, zChunkFinal)
                    : useFloat ? new FloatTileWorker(plan, in, outOrigin, out, floatKernel)
                    : new TileWorker(plan, in, outOrigin, out, kernel);
            track(worker, floatKernel, seen, mine);
            int id = ids.getAndIncrement();
            worker.attach(mon, stop, id);
            try {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < grid.size()) {
                    if (stop.getAsBoolean()) {
                        throw new PenumbraException("interrupted");
                    }
                    runChunk(worker, grid.chunk(i), mon, id, !streaming);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            merge(seen, mine);
        };
        if (workers == 1 && schedule.executor() == null) {
            work.run();
        } else {
            runParallel(work, workers, schedule.executor(), failure);
        }
        Throwable t = failure.get();
        if (t != null) {
            throw translate(t, in);
        }
    }

    /** Runs one chunk; with a monitor, records its span (and, for tiles, its time and progress). */
    private static void runChunk(ChunkWorker worker, dev.penumbra.chunk.Chunk chunk, Monitor mon, int id,
                                 boolean tile) {
        if (mon == null) {
            worker.run(chunk);
            return;
        }
        long t0 = System.nanoTime();
        worker.run(chunk);
        long t1 = System.nanoTime();
        mon.span(id, t0, t1, (tile ? "tile " : "chunk ") + chunk.index());
        if (tile) {
            mon.add(Monitor.Phase.TILES, t1 - t0);
            long n = 1;
            for (long e : chunk.shape()) {
                n *= e;
            }
            mon.advance(n);
        }
    }

    private static void track(ChunkWorker worker, FloatTileKernel kernel, float[] seen, float[] mine) {
        if (seen != null) {
            worker.trackRange(kernel, mine);
        }
    }

    /** Folds a worker's range into the run's (each worker once, at the end of its share). */
    private static void merge(float[] seen, float[] mine) {
        if (seen != null) {
            synchronized (seen) {
                seen[0] = Math.min(seen[0], mine[0]);
                seen[1] = Math.max(seen[1], mine[1]);
            }
        }
    }

    private static boolean isWhole(Volume in, long[] outOrigin, Volume out) {
        for (int a = 0; a < in.rank(); a++) {
            if (outOrigin[a] != 0 || out.shape(a) != in.shape(a)) {
                return false;
            }
        }
        return true;
    }

    /** How to give the JVM more heap, as the library says it; the CLI names its environment variable. */
    public static final String HEAP_HINT = "Java heap (-Xmx)";

    /** Refuses chunk shapes whose scratch would not fit the heap, before any work starts. */
    private static void checkScratch(ChunkGrid grid, Volume out, long[] hl, long[] hr, Schedule schedule) {
        long[] c = grid.chunkShape();
        long tile = 1;
        for (int a = 0; a < c.length; a++) {
            long halo = c[a] >= out.shape(a) ? 0 : hl[a] + hr[a];
            tile = Math.multiplyHigh(tile, c[a] + halo) != 0 ? Long.MAX_VALUE : tile * (c[a] + halo);
        }
        int workers = Math.min(schedule.threads(), grid.size());
        long need = tile > Long.MAX_VALUE / 64 ? Long.MAX_VALUE : tile * Schedule.SCRATCH_BYTES_PER_ELEMENT * workers;
        long max = Runtime.getRuntime().maxMemory();
        if (need > max / 10 * 8) {
            throw new BadParameterException("chunks: " + Arrays.toString(c) + " with the filter's halo needs about "
                    + need / (1 << 20) + " MB of scratch for " + workers + " threads, more than the " + max / (1 << 20)
                    + " MB heap allows; use smaller chunks or a larger " + HEAP_HINT);
        }
    }

    /** The parity tolerance DESIGN.md sets for the float32 path: 1e-5 * max(1, |scipy's result|). */
    public static final double FLOAT_PATH_TOLERANCE = 1e-5;

    /** Input magnitudes beyond which float32 sums (and hypot's squares) could overflow. */
    private static final double FLOAT_PATH_MAX_MAGNITUDE = 1e18;

    /**
     * True when the float32 fast path runs the plan: float32 data in and out, a backend with float
     * kernels, and a bound on float accumulation's error within {@link #FLOAT_PATH_TOLERANCE} for
     * this input; otherwise the double path runs, which does scipy's arithmetic. The bound is
     * {@code roundings * 2^-24 * gain * max|x|} in general ({@link Plan#float32Roundings()},
     * {@link Plan#gain()}), or {@code roundings * 2^-24 * |result|} when the weights and the data are
     * all non-negative (no cancellation: the error is relative). NaN or infinity in the data takes
     * the double path. This method reads the range of the input box the output depends on in a pass
     * of its own. A fused AUTO run does not: it takes the float path, folds the range of each row
     * into its scratch as it gathers it, and when the bound fails for what it read (the whole input
     * for a whole-volume run; never more than this box) it redoes the output with the double path.
     * Integer inputs take the double path: typical magnitudes (u16 detectors reach 65535) would
     * make float accumulation miss scipy near the zeros of derivative filters.
     */
    public static boolean usesFloatPath(Plan plan, Volume in, long[] outOrigin, Volume out, Schedule schedule) {
        return floatCapable(in.dtype(), out.dtype(), schedule)
                && floatBoundHolds(plan, dependence(plan, in, outOrigin, out), schedule);
    }

    /**
     * The arithmetic AUTO takes for filtering all of {@code in} with {@code plan} into
     * {@code outDType}: pin it in the schedule of runs over parts of the volume (e.g. the chunks of
     * {@link dev.penumbra.chunk.MapOverlap}) so that they compute exactly as one run over the whole
     * volume does.
     */
    public static Schedule.Arithmetic arithmeticFor(Plan plan, Volume in, DType outDType, Schedule schedule) {
        return floatCapable(in.dtype(), outDType, schedule) && floatBoundHolds(plan, in, schedule)
                ? Schedule.Arithmetic.FLOAT32 : Schedule.Arithmetic.FLOAT64;
    }

    /** True when the backend has float kernels and the data is float32 in and out. */
    private static boolean floatCapable(DType in, DType out, Schedule schedule) {
        return Backends.floatKernel(schedule.backend()) != null && out == DType.F32 && in == DType.F32;
    }

    /** True when float32 accumulation's error bound meets the tolerance for the values of {@code box}. */
    private static boolean floatBoundHolds(Plan plan, Volume box, Schedule schedule) {
        return plan.float32Roundings() * 0x1p-24 <= FLOAT_PATH_TOLERANCE
                && boundHolds(plan, DataRange.of(box, schedule.threads(), Backends.floatKernel(schedule.backend())));
    }

    /** True when float32 accumulation's error bound meets the tolerance for data in {@code range}. */
    private static boolean boundHolds(Plan plan, float[] range) {
        double relative = plan.float32Roundings() * 0x1p-24;
        float lo = range[0];
        float hi = range[1];
        if (plan.readsCval()) {
            lo = Math.min(lo, (float) plan.cval());
            hi = Math.max(hi, (float) plan.cval());
        }
        if (relative > FLOAT_PATH_TOLERANCE || !Float.isFinite(lo) || !Float.isFinite(hi)) {
            return false;
        }
        double magnitude = Math.max(Math.abs(lo), Math.abs(hi));
        if (magnitude * plan.gain() > FLOAT_PATH_MAX_MAGNITUDE) {
            return false;
        }
        if (lo >= 0 && plan.hasNonNegativeWeights()) {
            return true;
        }
        return relative * plan.gain() * magnitude <= FLOAT_PATH_TOLERANCE;
    }

    /**
     * The box of {@code in} that the output box at {@code outOrigin} reads: the output's widened by
     * the halo, or an axis's whole extent where the halo passes an edge (modes such as wrap read the
     * far side there).
     */
    private static Volume dependence(Plan plan, Volume in, long[] outOrigin, Volume out) {
        long[] lo = new long[in.rank()];
        long[] hi = new long[in.rank()];
        long[] hl = plan.haloLeft();
        long[] hr = plan.haloRight();
        for (int a = 0; a < in.rank(); a++) {
            long l = outOrigin[a] - hl[a];
            long h = outOrigin[a] + out.shape(a) + hr[a];
            boolean edge = l < 0 || h > in.shape(a);
            lo[a] = edge ? 0 : l;
            hi[a] = edge ? in.shape(a) : h;
        }
        return in.slice(lo, hi);
    }

    /**
     * One pass over the whole volume per axis, as scipy runs them: each pass reads the previous
     * pass's full-size result. Kept to show what fusing buys; it needs a full-size intermediate.
     */
    private static void runUnfused(Plan plan, Volume in, long[] outOrigin, Volume out, Schedule schedule,
                                   boolean useFloat, boolean wholeLines) {
        Schedule fused = schedule.withFused(true);
        java.util.List<dev.penumbra.filter.Pass> passes = plan.terms().get(0).passes();
        try (Volume tmp = Volume.allocate(out.dtype(), out.shape())) {
            // the first pass reads the input box, the others ping-pong so that the last lands in out
            Volume src = in;
            long[] origin = outOrigin;
            for (int i = 0; i < passes.size(); i++) {
                Volume dst = (passes.size() - 1 - i) % 2 == 0 ? out : tmp;
                Plan one = new Plan(plan.rank(), java.util.List.of(new dev.penumbra.filter.Term(
                        java.util.List.of(passes.get(i)))), Plan.Combine.SINGLE, plan.cval());
                // every pass keeps the arithmetic chosen for the plan's input, as the fused run does
                Schedule sc = fused;
                if (wholeLines) {
                    int axis = passes.get(i).axis();
                    long[] c = fused.chunksFor(dst.shape(), one.haloLeft(), one.haloRight());
                    c[axis] = dst.shape(axis);
                    sc = fused.withChunks(c);
                }
                run(one, src, origin, dst, sc, useFloat, null);
                src = dst;
                origin = new long[plan.rank()];
            }
        }
    }

    /**
     * Worker threads shared by all runs (daemons; idle ones end after a minute): a run does not
     * pay for starting threads, which costs milliseconds against runs of tens of milliseconds.
     */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread th = new Thread(r, "penumbra-worker");
        th.setDaemon(true);
        return th;
    });

    /**
     * Runs {@code work} on {@code workers} threads: the caller's own thread and pool threads, or
     * only {@code executor} when one is given. Returns when every share has ended, also when
     * the caller is interrupted (the shares stop at their next chunk), so that no worker touches
     * the volumes after the run returns.
     */
    static void runParallel(Runnable work, int workers, java.util.concurrent.Executor executor,
                            AtomicReference<Throwable> failure) {
        boolean own = executor == null;
        int helpers = own ? workers - 1 : workers;
        CountDownLatch done = new CountDownLatch(helpers);
        for (int w = 0; w < helpers; w++) {
            Runnable task = () -> {
                try {
                    work.run();
                } finally {
                    done.countDown();
                }
            };
            try {
                (own ? POOL : executor).execute(task);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                done.countDown();
            }
        }
        if (own) {
            work.run();
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                failure.compareAndSet(null, new PenumbraException("interrupted while filtering", e));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static RuntimeException translate(Throwable t, Volume in) {
        if (t instanceof PenumbraException p) {
            return p;
        }
        if (t instanceof IllegalStateException && !in.segment().scope().isAlive()) {
            return new BadVolumeException("input " + in + " was closed while the run read it", t);
        }
        if (t instanceof InternalError) {
            // a read past the end of a file truncated under its mapping (JDK: "a fault occurred in an
            // unsafe memory access operation")
            return new BadVolumeException("input " + in + " could not be read: the file changed or shrank while"
                    + " being read (" + t.getMessage() + ")", t);
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new RuntimeException(t);
    }

    private static void check(Plan plan, Volume in, long[] outOrigin, Volume out) {
        if (plan.rank() != in.rank()) {
            throw new BadParameterException("plan: made for " + plan.rank() + " axes, the input has " + in.rank());
        }
        if (out.rank() != in.rank() || outOrigin.length != in.rank()) {
            throw new BadParameterException("output: has " + out.rank() + " axes, the input has " + in.rank());
        }
        if (in.elementCount() > 0 && out.elementCount() > 0
                && in.segment().asOverlappingSlice(out.segment()).isPresent()) {
            // chunks run in parallel and read their neighbours' input: writing over it would be wrong
            throw new BadParameterException("output: shares memory with the input; in-place filtering is not"
                    + " supported, give a separate output volume");
        }
        if (out.dtype() != DType.F32 && out.dtype() != DType.F64) {
            throw new BadParameterException("output: dtype " + out.dtype().numpyName()
                    + " is not supported (expected float32 or float64)");
        }
        for (int a = 0; a < in.rank(); a++) {
            if (outOrigin[a] < 0 || outOrigin[a] + out.shape(a) > in.shape(a)) {
                throw new BadParameterException("output: shape " + Arrays.toString(out.shape()) + " at "
                        + Arrays.toString(outOrigin) + " does not fit in the input's " + Arrays.toString(in.shape()));
            }
        }
    }
}
