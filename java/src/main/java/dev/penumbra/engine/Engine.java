package dev.penumbra.engine;

import dev.penumbra.BadParameterException;
import dev.penumbra.PenumbraException;
import dev.penumbra.backend.Backends;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.chunk.ChunkGrid;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Volume;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Runs a {@link Plan} from a {@link Source} into a {@link Sink} with a {@link Schedule}, and says
 * what it did ({@link Run}). The schedule's {@link Strategy} decides how the volume is walked —
 * streamed slabs ({@link SlabStream}, planned by {@link StreamPlan}), fused tiles
 * ({@link TileWorker}, {@link FloatTileWorker}) or one pass per axis — and the arithmetic policy
 * ({@link ArithmeticPolicy}) whether float32 may stand in for double. Every output element is
 * computed the same way whatever the strategy and chunking, so every schedule gives the same bytes.
 *
 * <pre>{@code
 * // scipy: ndimage.gaussian_filter(vol, 3, output=out)
 * Run run = Engine.run(FilterSpec.gaussian(3).plan(3), vol, out, Schedule.defaults());
 * }</pre>
 */
public final class Engine {
    /** The parity tolerance of the float32 path: 1e-5 * max(1, |scipy's result|). */
    public static final double FLOAT_PATH_TOLERANCE = ArithmeticPolicy.TOLERANCE;

    /** How to give the JVM more heap, as the library says it; the CLI names its environment variable. */
    public static final String HEAP_HINT = "Java heap (-Xmx)";

    private Engine() {
    }

    /**
     * Filters all of {@code in} into {@code out} (same shape; any dtype: integer outputs are cast as
     * scipy casts, {@link DType#castLikeC}).
     */
    public static Run run(Plan plan, Source in, Sink out, Schedule schedule) {
        return run(plan, in, new long[in.rank()], out, schedule);
    }

    /**
     * Filters the box of {@code in} that starts at {@code outOrigin} and has {@code out}'s shape into
     * {@code out}. Lines are extended by the boundary modes at the edges of {@code in} only, so a
     * chunk's output is computed from the real neighbours wherever {@code in} has them.
     */
    public static Run run(Plan plan, Source in, long[] outOrigin, Sink out, Schedule schedule) {
        check(plan, in, outOrigin, out);
        long[] shape = out.shape();
        long[][] reads = ArithmeticPolicy.haloBox(plan, in, outOrigin, shape);
        in.runReadsWithin(reads[0], reads[1]);
        if (Arrays.stream(shape).anyMatch(e -> e == 0)) {
            return new Run(Strategy.TILES, false, false, -1, -1, 0, 0, "an empty output");
        }
        List<Pass> passes = plan.terms().get(0).passes();
        boolean unfused = schedule.strategy() == Strategy.UNFUSED && plan.terms().size() == 1 && passes.size() > 1;
        Monitor mon = schedule.monitor();
        if (mon != null) {
            mon.begin(count(shape) * (unfused ? passes.size() : 1));
        }
        if (schedule.arithmetic() != Schedule.Arithmetic.FLOAT64 && !unfused
                && ArithmeticPolicy.integerExact(plan, in.dtype(), out.dtype(), schedule)) {
            // (FLOAT32 too: what arithmeticFor pins for the chunks of such a run)
            return fused(plan, in, outOrigin, out, schedule, Path.FLOAT, null).because("integer data and integer"
                    + " weights: float32 sums are exact (every partial sum within 2^24)" + (out.dtype().isFloating()
                    ? "" : ", and scipy's casts of each pass into the " + out.dtype().numpyName()
                    + " output wrap as one cast at the end"));
        }
        String notCapable = ArithmeticPolicy.whyNotFloat(in.dtype(), out.dtype(), schedule);
        boolean useFloat = switch (schedule.arithmetic()) {
            case FLOAT32 -> notCapable == null;
            case FLOAT64 -> false;
            case AUTO -> notCapable == null && ArithmeticPolicy.planAllowsFloat(plan);
        };
        String why = switch (schedule.arithmetic()) {
            case FLOAT32 -> notCapable == null ? "float32 asked for" : notCapable;
            case FLOAT64 -> "double asked for";
            case AUTO -> notCapable != null ? notCapable : !useFloat
                    ? "the plan rounds too often for float32 to meet the tolerance" : null;
        };
        boolean redone = false;
        Boolean finiteInput = null; // known once a float run has read the input
        if (useFloat && schedule.arithmetic() == Schedule.Arithmetic.AUTO) {
            // a source whose reads decode whole chunks takes its sample last, and only when the data's
            // own range leaves the sample's verdict open: the same decision, without decoding every
            // chunk once for 256 rows before the run decodes them again
            // (where the run reads the whole sample box: the sample's range is then within the data's)
            boolean late = in.costlyToSample() && (plan.terms().size() == 1 || isWhole(in, outOrigin, shape));
            float[] sample = late && !unfused ? null : ArithmeticPolicy.sample(plan, in, outOrigin, shape, schedule);
            if (sample != null && !ArithmeticPolicy.sampleAllowsFloat(plan, sample)) {
                // a sample of the data fails the bound with 1.5 times its range: the whole data (which can
                // only widen the sample's range) almost surely fails it, so no float run to redo
                useFloat = false;
                why = "the float32 error bound fails for the data (a sample reaches " + rangeText(sample)
                        + ", with headroom x1.5)";
            } else if (unfused) {
                // the passes after the first read intermediates: read the input's range first
                useFloat = usesFloatPath(plan, in, outOrigin, out, schedule);
                why = useFloat ? "the float32 error bound holds for the data" : "the float32 error bound fails for the data";
            } else {
                // optimistic: the float run folds the range of every value it reads into `seen`
                // (in cache, as it gathers) and the double path redoes the output if the bound fails
                float[] seen = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                Run first = fused(plan, in, outOrigin, out, schedule, Path.FLOAT, seen);
                boolean holds = ArithmeticPolicy.boundHolds(plan, seen);
                why = "the float32 error bound failed for the data (" + rangeText(seen) + "): redone in double";
                if (holds && sample == null && !ArithmeticPolicy.sampleAllowsFloat(plan, seen)) {
                    // the sample lies within the data's range: only here can its headroom fail
                    sample = ArithmeticPolicy.sample(plan, in, outOrigin, shape, schedule);
                    holds = ArithmeticPolicy.sampleAllowsFloat(plan, sample);
                    why = "the float32 error bound fails for the data (a sample reaches " + rangeText(sample)
                            + ", with headroom x1.5): redone in double";
                }
                if (holds) {
                    return first.because("the float32 error bound holds for the data (" + rangeText(seen) + ")");
                }
                redone = true;
                finiteInput = Float.isFinite(seen[0]) && Float.isFinite(seen[1]);
                if (mon != null) {
                    mon.redo();
                }
                out.beforeRewrite();
                useFloat = false;
            }
        }
        Run run;
        if (!useFloat && runsMeans(plan) && (!out.dtype().isFloating()
                || plan.readsCval() && !Double.isFinite(plan.cval())
                || (in.dtype() == DType.F32 || in.dtype() == DType.F64) && !(finiteInput != null ? finiteInput
                : allFinite(plan, in, outOrigin, shape, schedule)))) {
            // uniform_filter1d's running sum spreads NaN and inf along whole lines, and its last bits,
            // which an integer output's truncation shows, depend on where the sum started: one pass
            // at a time, each over chunks that hold whole lines of its axis, reproduces that exactly
            run = unfused(plan, in, outOrigin, out, schedule, Path.DOUBLE, true);
        } else {
            Path path = useFloat ? Path.FLOAT : ArithmeticPolicy.exactCapable(in.dtype(), out.dtype(), schedule)
                    ? Path.EXACT : Path.DOUBLE;
            run = unfused ? unfused(plan, in, outOrigin, out, schedule, path, false)
                    : fused(plan, in, outOrigin, out, schedule, path, null);
        }
        return (redone ? run.redoneInDouble() : run).because(why);
    }

    private static String rangeText(float[] range) {
        return Float.isNaN(range[0]) || Float.isNaN(range[1]) ? "NaN"
                : String.format(java.util.Locale.ROOT, "[%.4g, %.4g]", range[0], range[1]);
    }

    /**
     * True when the float32 fast path runs the plan on this box of the input: float32 data in and
     * out, a backend with float kernels, and {@link ArithmeticPolicy}'s bound met by the values of
     * the input box the output depends on — read here in a pass of its own. A fused AUTO run does
     * not read it first: it takes the float path, folds the range of each row into its scratch as it
     * gathers it, and when the bound fails for what it read it redoes the output on the double path.
     */
    public static boolean usesFloatPath(Plan plan, Source in, long[] outOrigin, Sink out, Schedule schedule) {
        if (ArithmeticPolicy.integerExact(plan, in.dtype(), out.dtype(), schedule)) {
            return true;
        }
        long[][] box = ArithmeticPolicy.dependence(plan, in, outOrigin, out.shape());
        return ArithmeticPolicy.floatCapable(in.dtype(), out.dtype(), schedule)
                && ArithmeticPolicy.sampleAllowsFloat(plan, ArithmeticPolicy.sample(plan, in, outOrigin, out.shape(),
                        schedule))
                && ArithmeticPolicy.boundHoldsFor(plan, in, box[0], box[1], schedule);
    }

    /**
     * True when a compound plan over a whole volume of {@code shape} would sum its terms in one
     * sweep into an output that cannot be read back ({@link CompoundRoute#sweepTerms}, sized for
     * double slabs, the larger): such an output may then be written once, element by element, e.g.
     * staged. False for one-term plans and where the terms would stream one at a time, folded into
     * an output read back (a forced team, scratch over budget), or run on tiles.
     */
    public static boolean sweepsTerms(Plan plan, long[] shape, Schedule schedule) {
        return plan.terms().size() > 1 && CompoundRoute.sweepTerms(plan, shape, schedule, false, Double.BYTES) != null;
    }

    /**
     * The axis a streamed run of a volume of {@code shape} walks one slab at a time: the outer axis
     * with the smallest slabs (its own extent largest). Sources that hold data for a stream (a chunk
     * cache) size themselves by it.
     */
    public static int streamAxis(long[] shape) {
        return StreamPlan.streamAxis(shape);
    }

    /**
     * The arithmetic AUTO takes for filtering all of {@code in} with {@code plan} into
     * {@code outDType}: pin it in the schedule of runs over parts of the volume (e.g. the chunks of
     * {@link dev.penumbra.chunk.MapOverlap}) so that they compute exactly as one run over the whole
     * volume does.
     */
    public static Schedule.Arithmetic arithmeticFor(Plan plan, Source in, DType outDType, Schedule schedule) {
        if (ArithmeticPolicy.integerExact(plan, in.dtype(), outDType, schedule)) {
            return Schedule.Arithmetic.FLOAT32; // (exact for any data of the dtype)
        }
        return ArithmeticPolicy.floatCapable(in.dtype(), outDType, schedule)
                && ArithmeticPolicy.sampleAllowsFloat(plan, ArithmeticPolicy.sample(plan, in, new long[in.rank()],
                        in.shape(), schedule))
                && ArithmeticPolicy.boundHoldsFor(plan, in, new long[in.rank()], in.shape(), schedule)
                ? Schedule.Arithmetic.FLOAT32 : Schedule.Arithmetic.FLOAT64;
    }

    /**
     * {min, max} of a whole volume as float32 reads it (NaN anywhere makes both NaN), on
     * {@code schedule}'s threads and backend: the range {@link #arithmeticForRange} takes.
     */
    public static float[] range(Source in, Schedule schedule) {
        return DataRange.of(in, new long[in.rank()], in.shape(), schedule.threads(),
                Backends.floatKernel(schedule.backend()) != null ? Backends.floatKernel(schedule.backend())
                        : Backends.floatKernel(Backends.Kind.SCALAR));
    }

    /**
     * The arithmetic AUTO takes for data within {@code [lo, hi]}, for runs over parts of a volume held
     * elsewhere (dask's blocks, whose whole range a reduction gave): the float32 path where the dtypes
     * and backend allow it and its error bound holds for that range, else the double path. NaN in
     * the range (data with NaN) takes the double path.
     */
    public static Schedule.Arithmetic arithmeticForRange(Plan plan, DType inDType, DType outDType, Schedule schedule,
                                                         double lo, double hi) {
        if (ArithmeticPolicy.integerExact(plan, inDType, outDType, schedule)) {
            return Schedule.Arithmetic.FLOAT32;
        }
        return ArithmeticPolicy.floatCapable(inDType, outDType, schedule) && ArithmeticPolicy.planAllowsFloat(plan)
                && ArithmeticPolicy.boundHolds(plan, new float[] {(float) lo, (float) hi})
                ? Schedule.Arithmetic.FLOAT32 : Schedule.Arithmetic.FLOAT64;
    }

    private static boolean allFinite(Plan plan, Source in, long[] outOrigin, long[] outShape, Schedule schedule) {
        long[][] box = ArithmeticPolicy.dependence(plan, in, outOrigin, outShape);
        return DataRange.allFinite(in, box[0], box[1], schedule.threads(), Backends.floatKernel(schedule.backend()));
    }

    /** True when a pass of the plan is scipy's uniform_filter1d (a running sum). */
    private static boolean runsMeans(Plan plan) {
        return plan.terms().stream().flatMap(t -> t.passes().stream()).anyMatch(p -> p.kernel().runningMean());
    }

    /**
     * The arithmetic a run computes in, chosen once for the whole plan: the float32 fast path; the
     * double path on float storage (scipy's sums in double, float32 outputs: every pass is rounded to
     * float32 anyway), which streams as the float path does; or the double path on double storage
     * (float64 outputs, inputs that float does not hold exactly, backends without such kernels).
     */
    enum Path { FLOAT, EXACT, DOUBLE }

    /** Streams or tiles, all passes per chunk, with the arithmetic already chosen for the whole plan. */
    private static Run fused(Plan plan, Source in, long[] outOrigin, Sink out, Schedule schedule, Path path,
                             float[] seen) {
        SlabStore store = store(path, out, schedule, false);
        if (store != null && plan.terms().size() > 1 && isWhole(in, outOrigin, out.shape())) {
            List<Plan> sweep = CompoundRoute.sweepTerms(plan, out.shape(), schedule, out instanceof Source, store.bytes());
            if (sweep != null) {
                return fused(plan, in, outOrigin, out, schedule, path, seen, null, false, sweep);
            }
            Run r = out instanceof Source ? CompoundRoute.termwise(plan, in, out, schedule, path, seen, store.bytes())
                    : null;
            if (r != null) {
                return r;
            }
        }
        return fused(plan, in, outOrigin, out, schedule, path, seen, null, false, null);
    }

    /**
     * The fused run itself; {@code runningSums}: the chunks hold whole lines of each running-mean
     * pass's axis, for scipy's running sums (NaN spreading, integer outputs) on the tiles.
     */
    static Run fused(Plan plan, Source in, long[] outOrigin, Sink out, Schedule schedule, Path path,
                     float[] seen, SlabStream.Fold fold, boolean runningSums, List<Plan> sweep) {
        LineKernel kernel = lineKernel(schedule, out.dtype());
        FloatTileKernel floatKernel = path == Path.EXACT ? Backends.exactKernel(schedule.backend())
                : Backends.floatKernel(schedule.backend());
        boolean useFloat = path == Path.FLOAT;
        boolean floatStorage = path != Path.DOUBLE;
        SlabStore store = store(path, out, schedule, runningSums);
        long[] hl = plan.haloLeft();
        long[] hr = plan.haloRight();
        long[] shape = out.shape();
        StreamPlan sp = sweep != null ? new StreamPlan(StreamPlan.streamAxis(shape), Math.toIntExact(shape[0]), 0)
                : StreamPlan.of(plan, shape, schedule, isWhole(in, outOrigin, shape), store == null ? 0 : store.bytes());
        if (fold != null && sp == null) {
            throw new IllegalStateException("a folded term must stream");
        }
        Team team = sp != null && sp.teamSize() > 0 ? new Team(sp.teamSize()) : null;
        ChunkGrid grid;
        if (sp != null) {
            // ranges of the stream axis, a few per thread, long enough that the recomputed reach is small
            int axis = sp.axis();
            long n = shape[axis];
            long reach = hl[axis] + hr[axis];
            long zChunks = (shape[0] + sp.zChunk() - 1) / sp.zChunk();
            // (a team runs every chunk together: one chunk per 256 MB of input, so that advice on a
            // huge mapping stays chunk-sized)
            long perThread = team != null ? Math.max(1, Math.ceilDiv(in.byteSize(), 256L << 20))
                    : Math.max(1, 4L * schedule.threads() / zChunks);
            long rows = Math.max(Math.max(1, (n + perThread - 1) / perThread), 4 * reach);
            long[] c = shape.clone();
            c[axis] = Math.min(n, rows);
            if (axis != 0) {
                c[0] = sp.zChunk();
            }
            grid = new ChunkGrid(shape, c);
        } else {
            grid = new ChunkGrid(shape, schedule.chunksFor(shape, hl, hr));
            checkScratch(grid, shape, hl, hr, schedule);
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
        BooleanSupplier stop = () -> failure.get() != null || Thread.currentThread().isInterrupted();
        Runnable work = team != null ? () -> {
            // every member runs every chunk, on its own rows
            float[] mine = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            try {
                SlabStream member = new SlabStream(plan, in, out, store, sp.axis(), sp.zChunk(), team,
                        next.getAndIncrement(), fold);
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
            ChunkWorker worker = sweep != null ? CompoundRoute.sweepWorker(sweep, plan.combine(), in, out, store, sp)
                    : sp != null ? new SlabStream(plan, in, out, store, sp.axis(), sp.zChunk(), fold)
                    : floatStorage ? new FloatTileWorker(plan, in, outOrigin, out, floatKernel)
                    : new TileWorker(plan, in, outOrigin, out, kernel, runningSums);
            track(worker, floatKernel, seen, mine);
            int id = ids.getAndIncrement();
            worker.attach(mon, stop, id);
            try {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < grid.size()) {
                    if (stop.getAsBoolean()) {
                        throw new PenumbraException("interrupted");
                    }
                    runChunk(worker, grid.chunk(i), mon, id, sp == null);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            merge(seen, mine);
        };
        // a stream over an input bigger than memory fetches its windows itself (SlabStream.streamInput)
        boolean fetchesItself = sp != null && Madvise.crowds(in.byteSize(), Madvise.physicalMemory());
        if (fetchesItself) {
            in.ownReadAhead(false);
        }
        try {
            if (workers == 1 && schedule.executor() == null) {
                work.run();
            } else {
                Workers.run(work, workers, schedule.executor(), failure);
            }
        } finally {
            if (fetchesItself) {
                in.ownReadAhead(true);
            }
        }
        Throwable t = failure.get();
        if (t != null) {
            throw Workers.translate(t, in);
        }
        Strategy ran = team != null ? Strategy.TEAM : sp != null ? Strategy.STREAM : Strategy.TILES;
        return new Run(ran, useFloat, false, sp != null ? sp.axis() : -1, sp != null ? sp.zChunk() : -1, workers,
                grid.size(), "");
    }

    /**
     * What a stream of this path keeps its slabs in, or null when the path takes tiles: float32 slabs
     * for the float path and the double path into float32 (float storage, double sums); float64 slabs
     * for the double path into a float64 or integer output (each pass cast as scipy stores it), whose
     * backend has double row kernels. Other outputs (float32 from data float does not hold) and
     * scipy's running sums take tiles.
     */
    private static SlabStore store(Path path, Sink out, Schedule schedule, boolean runningSums) {
        if (path != Path.DOUBLE) {
            return SlabStore.floats(path == Path.EXACT ? Backends.exactKernel(schedule.backend())
                    : Backends.floatKernel(schedule.backend()));
        }
        LineKernel kernel = lineKernel(schedule, out.dtype());
        DType o = out.dtype();
        return (o == DType.F64 || !o.isFloating()) && !runningSums && kernel.hasRows() ? SlabStore.doubles(kernel, o)
                : null;
    }

    /**
     * The double path's kernel for an output of type {@code out}: integer outputs take scipy's own
     * operations (products rounded, then added), whose last bit their truncation shows.
     */
    private static LineKernel lineKernel(Schedule schedule, DType out) {
        LineKernel k = Backends.kernel(schedule.backend());
        return out.isFloating() ? k : k.roundedProducts();
    }

    /** Runs one chunk; with a monitor, records its span (and, for tiles, its time and progress). */
    private static void runChunk(ChunkWorker worker, Chunk chunk, Monitor mon, int id, boolean tile) {
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
            mon.advance(count(chunk.shape()));
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

    /**
     * One pass per axis over the whole volume, as scipy runs them: each pass reads the previous
     * pass's full-size result. Kept to show what fusing buys, and for scipy's running sums over
     * NaN (with {@code wholeLines}: each pass's chunks hold whole lines of its axis).
     */
    private static Run unfused(Plan plan, Source in, long[] outOrigin, Sink out, Schedule schedule,
                               Path path, boolean wholeLines) {
        Schedule each = schedule.withStrategy(Strategy.AUTO);
        List<Pass> passes = plan.terms().get(0).passes();
        Run last = null;
        int n = passes.size();
        // intermediates ping-pong through one temporary and the output itself, so that the last pass
        // lands in the output; an output that cannot be read back takes a second temporary instead
        boolean readable = out instanceof Source;
        try (Volume tmp = Volume.allocate(out.dtype(), out.shape());
             Volume tmp2 = readable || n < 3 ? null : Volume.allocate(out.dtype(), out.shape())) {
            Source src = in;
            long[] origin = outOrigin;
            for (int i = 0; i < n; i++) {
                Sink dst = i == n - 1 ? out : readable ? ((n - 1 - i) % 2 == 0 ? out : tmp) : (i % 2 == 0 ? tmp : tmp2);
                Plan one = new Plan(plan.rank(), List.of(new Term(List.of(passes.get(i)))), Plan.Combine.SINGLE,
                        plan.cval());
                // every pass keeps the arithmetic chosen for the plan's input, as the fused run does
                Schedule sc = each;
                if (wholeLines) {
                    int axis = passes.get(i).axis();
                    long[] c = each.chunksFor(dst.shape(), one.haloLeft(), one.haloRight());
                    c[axis] = dst.shape(axis);
                    sc = each.withChunks(c).withStrategy(Strategy.TILES);
                }
                last = fused(one, src, origin, dst, sc, path, null, null, wholeLines, null);
                src = i == n - 1 ? null : (Source) dst;
                origin = new long[plan.rank()];
            }
        }
        return new Run(Strategy.UNFUSED, path == Path.FLOAT, false, -1, -1, last.threads(), last.chunks(), "");
    }

    private static boolean isWhole(Source in, long[] outOrigin, long[] shape) {
        for (int a = 0; a < in.rank(); a++) {
            if (outOrigin[a] != 0 || shape[a] != in.shape(a)) {
                return false;
            }
        }
        return true;
    }

    static long count(long[] shape) {
        long n = 1;
        for (long e : shape) {
            n *= e;
        }
        return n;
    }

    /** Refuses chunk shapes whose scratch would not fit the heap, before any work starts. */
    private static void checkScratch(ChunkGrid grid, long[] shape, long[] hl, long[] hr, Schedule schedule) {
        long[] c = grid.chunkShape();
        long tile = 1;
        for (int a = 0; a < c.length; a++) {
            long halo = c[a] >= shape[a] ? 0 : hl[a] + hr[a];
            tile = Math.multiplyHigh(tile, c[a] + halo) != 0 ? Long.MAX_VALUE : tile * (c[a] + halo);
        }
        int workers = Math.min(schedule.threads(), grid.size());
        long need = tile > Long.MAX_VALUE / 64 ? Long.MAX_VALUE : tile * Schedule.SCRATCH_BYTES_PER_ELEMENT * workers;
        long max = Runtime.getRuntime().maxMemory();
        if (need > max / 10 * 8) {
            throw new BadParameterException("chunks", Arrays.toString(c) + " with the filter's halo needs about "
                    + need / (1 << 20) + " MB of scratch for " + workers + " threads, more than the " + max / (1 << 20)
                    + " MB heap allows; use smaller chunks or a larger " + HEAP_HINT);
        }
    }

    private static void check(Plan plan, Source in, long[] outOrigin, Sink out) {
        if (plan.rank() != in.rank()) {
            throw new BadParameterException("plan", "made for " + plan.rank() + " axes, the input has " + in.rank());
        }
        if (out.rank() != in.rank() || outOrigin.length != in.rank()) {
            throw new BadParameterException("output", "has " + out.rank() + " axes, the input has " + in.rank());
        }
        if (in instanceof Volume a && out instanceof Volume b && a.elementCount() > 0 && b.elementCount() > 0
                && a.segment().asOverlappingSlice(b.segment()).isPresent()) {
            // chunks run in parallel and read their neighbours' input: writing over it would be wrong
            throw new BadParameterException("output", "shares memory with the input; in-place filtering is not"
                    + " supported, give a separate output volume");
        }
        for (int a = 0; a < in.rank(); a++) {
            if (outOrigin[a] < 0 || outOrigin[a] + out.shape(a) > in.shape(a)) {
                throw new BadParameterException("output", "shape " + Arrays.toString(out.shape()) + " at "
                        + Arrays.toString(outOrigin) + " does not fit in the input's " + Arrays.toString(in.shape()));
            }
        }
        if (!out.dtype().isFloating()) {
            for (Term t : plan.terms()) {
                for (Pass p : t.passes()) {
                    int a = p.axis();
                    if (p.kernel().runningMean() && (outOrigin[a] != 0 || out.shape(a) != in.shape(a))) {
                        // the last bits of scipy's running sums depend on where a line starts, and an
                        // integer output's truncation shows them: a box would miss scipy in places
                        throw new BadParameterException("output", "an integer output (" + out.dtype().numpyName()
                                + ") of a uniform pass on axis " + a + " needs whole lines of that axis"
                                + " (scipy's running sums), the box covers " + out.shape(a) + " of "
                                + in.shape(a) + "; filter whole lines or choose a float output");
                    }
                }
            }
        }
    }
}
