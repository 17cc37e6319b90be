package dev.penumbra.engine;

import dev.penumbra.PenumbraException;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The streaming schedule for one separable term over a whole volume (Halide's sliding
 * window): the volume is walked along one outer axis {@code s}, one slab (all other axes, at one
 * index of {@code s}) at a time. Each input slab is gathered once, filtered by the passes that come
 * before the pass on {@code s} (they never mix slabs), and kept in a ring of slabs; the pass on
 * {@code s} combines ring slabs into output slabs two at a time (each loaded row serves both); the
 * passes after it run on the output slab, which is then written. Memory is touched once: the input
 * read, the output written; the ring and the slabs stay in cache.
 *
 * <p>Chunks are ranges of {@code s}; a chunk recomputes the earlier passes for the reach of the
 * {@code s} pass at its ends. Slabs outside the volume along {@code s} are the slabs the mode maps
 * them to (cval slabs for constant), exactly as the tile workers extend lines. Where the slabs are
 * laid out is {@link SlabLayout}'s; the passes inside a slab are {@link SlabPasses}'; what the slabs
 * hold (float32 or float64) and the kernels that work on them, {@link SlabStore}'s.
 */
final class SlabStream implements ChunkWorker {
    /**
     * Outputs of the {@code s} pass computed together: with the ring's rows walked in blocks of
     * {@link #BLOCK} floats, the blocks of the batch's input slabs stay in L2 while the kernel makes
     * all its outputs from them (the kernel itself pairs outputs so each load serves two).
     */
    static final int BATCH = 8;

    /**
     * The most outputs a team on float64 slabs computes together ({@link #batchFor}): its ring is
     * twice a float ring and does not stay in L2 between batches, so every input slab block is
     * fetched again from L3 or memory by each batch that reads it, (batch + reach) / batch times
     * an output. Seed-shape float64 gaussian sigma 3 (reach 24), Zen 3, alternating runs: batch 8
     * 686-781 ms, 24 527-626 ms. A float ring (half the bytes) and short kernels keep 8: float32
     * gaussian 195-268 ms at 8 against 254-281 at 24 (its bigger output batch leaves L2 before the
     * passes after the stream read it), float64 uniform size 5 283-308 ms at 8, 352-441 at 32, and
     * float64 gaussian sigma 2 (reach 16) 394-435 ms at 8, 476-480 at 24.
     */
    static final int WIDE_BATCH = 24;

    /**
     * Outputs of a stream pass of {@code reach} (its kernel's size - 1; 0: none) computed together by
     * a worker of a team or not, on slabs of {@code elementBytes}: {@link #WIDE_BATCH} for a team's
     * float64 slabs under a kernel of reach 24 or more, else {@link #BATCH}.
     */
    static int batchFor(int reach, boolean team, int elementBytes) {
        return team && elementBytes == Double.BYTES && reach >= WIDE_BATCH ? WIDE_BATCH : BATCH;
    }

    /** Floats of each slab the s pass takes at a time. */
    private static final int BLOCK = 1024;

    /** Input slabs gathered together (their rows are consecutive in a C-ordered file). */
    static final int GROUP = 8;

    private final Plan plan;
    private final Source in;
    private final Sink out;
    private final SlabStore store;
    private final SlabLayout lay;
    private final SlabPasses passes;
    private final int s;
    private final int rank;
    private final List<Pass> before = new ArrayList<>();
    private final Pass streamPass;
    private final List<Pass> after = new ArrayList<>();
    private final Pass zPass;
    private int z0;
    private int zCore;
    /** The s pass's ring in the current chunk: the virtual position of slot 0, and the next to gather. */
    private int first;
    private int ready;
    /**
     * The team this worker streams with (null: alone), its place in it, and the axis-0 rows it owns,
     * [r0, r1) — which move between groups as the team rebalances ({@link Team#rebalance}).
     */
    private final Team team;
    private final int member;
    private int r0;
    private int r1;
    /** When this member last left the team's barrier (its work since then is timed for rebalancing). */
    private long leftBarrier;
    /** When this member began its share of the latest gather: the end of its own rows' work. */
    private long computed;
    /**
     * Rows of a group a team member claims at a time in the gather ({@link Team#claim}). With the
     * gather split by the shares, a member slowed for a moment (the JIT's or the output's thread on
     * its core, a slower read) kept the other waiting at every meeting: 170 ms of the two threads'
     * 1.5 s in a seed command. Whole commands, Zen 3, alternating, medians: seed gaussian 1246 ->
     * 1153 ms (10 rounds; claims of 1 and 4 rows 1147 and 1129), uint16 -> uint16 1458 -> 1347,
     * float64 1765 -> 1723, float32 laplace 1237 -> 1175 (6 rounds each).
     */
    private static final int CLAIM = 2;
    private int groups;
    private final RowIO io = new RowIO();
    /** Coordinates of the run being read or written (reused). */
    private final long[] runAt;

    private final Object ring;
    private final int ringSlots;
    private final int cvalSlot;
    private final int[] rowOffsets;
    private final int[] slotOffsets;
    private final int[] blockOffsets;
    private final Object batchOut;
    private Object gatherBuf;
    private final int[] groupOffs;
    /** Outputs of the s pass computed together: {@link #batchFor}. */
    private final int batch;

    /**
     * An output over a quarter of the memory is written behind the stream ({@link Sink#doneWriting}):
     * by a worker streaming alone for its chunk, by member 0 for a team (all rows, a few batches
     * behind, so that every member has written them). {@code wbFrom}: the chunk's first slab;
     * {@code wbTo}: the slabs handed over so far end there.
     */
    private final boolean writeBehind;
    private int wbFrom;
    private int wbTo;
    /**
     * The step of both when the memory is crowded: 64 MB of input fetched ahead at a time, 64 MB of
     * output between hand-overs (1/64 of a memory smaller than 4 GiB).
     */
    private final long crowdedStep;

    /** An input over a quarter of the memory: fetched a window ahead, let go behind ({@link #streamInput}). */
    private final boolean crowdsInput;
    /** Rows of the stream axis in {@code crowdedStep} of input (at least one batch's reach). */
    private final int inputWindow;
    private int advisedTo;
    private int droppedTo;
    private int chunkEnd;

    private Monitor mon;
    private BooleanSupplier stop = () -> false;
    private int worker;

    /**
     * How a term of a compound plan (laplace, gaussian_laplace, gaussian_gradient_magnitude) streamed
     * on its own folds into the output, as scipy folds it: term {@code index} of {@code count},
     * combined by {@code how}. The first term writes (its square, for HYPOT); the others read the
     * output row, add theirs in the slabs' type and write it back; the last takes HYPOT's square root.
     */
    record Fold(int index, int count, Plan.Combine how) {
    }

    /** How this worker's term folds into the output, or null: it writes the output. */
    private final Fold fold;
    /**
     * Another term's stream in the same sweep whose ring holds the raw input slabs this worker's
     * batches read ({@link #gatherFrom}): its slab passes start from that ring instead of gathering
     * the input again. Null: this worker gathers.
     */
    private SlabStream donor;
    private Object foldRow;

    SlabStream(Plan plan, Source in, Sink out, SlabStore store, int s, int zChunk, Fold fold) {
        this(plan, in, out, store, s, zChunk, null, 0, fold, 0);
    }

    /**
     * A worker of {@code team} (null: one working alone): member {@code member} owns a share of the
     * axis-0 rows of every slab and shares the ring, the output batch and the gather buffers.
     */
    SlabStream(Plan plan, Source in, Sink out, SlabStore store, int s, int zChunk, Team team, int member,
               Fold fold) {
        this(plan, in, out, store, s, zChunk, team, member, fold, 0);
    }

    /**
     * {@code set}: which of a thread's sets of ring and batch scratch this worker uses, so that the
     * workers of the terms of one sweep ({@link TermSweep}) keep rings of their own (0 alone).
     */
    SlabStream(Plan plan, Source in, Sink out, SlabStore store, int s, int zChunk, Team team, int member,
               Fold fold, int set) {
        if (fold != null && (plan.terms().size() != 1 || !(out instanceof Source))) {
            throw new IllegalArgumentException("a fold streams one term into an output it can read back");
        }
        this.fold = fold;
        long memory = Madvise.physicalMemory();
        this.crowdedStep = Math.min(64L << 20, memory / 64);
        this.crowdsInput = Madvise.crowds(in.byteSize(), memory);
        this.writeBehind = (fold == null || fold.index() == fold.count() - 1) && (team == null || member == 0)
                && Madvise.crowds(Engine.count(out.shape()) * out.dtype().size(), memory);
        this.team = team;
        this.member = member;
        this.plan = plan;
        this.in = in;
        this.out = out;
        this.store = store;
        io.widenWith(store.widen());
        this.s = s;
        this.rank = plan.rank();
        this.runAt = new long[rank];
        Pass sp = null;
        Pass zp = null;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == s) {
                sp = p;
            } else if (sp == null) {
                before.add(p);
                if (p.axis() == 0) {
                    zp = p;
                }
            } else {
                after.add(p);
            }
        }
        streamPass = sp;
        long perRow = Math.max(1, in.byteSize() / in.shape(s));
        int reach = sp == null ? 0 : sp.kernel().size() - 1;
        batch = batchFor(reach, team != null, store.bytes());
        inputWindow = (int) Math.max(batch + reach, crowdedStep / perRow);
        zPass = zp;
        lay = new SlabLayout(in, s, zChunk, zp == null ? 0 : zp.kernel().left(), zp == null ? 0 : zp.kernel().right());
        groupOffs = new int[Math.max(GROUP, batch)];
        ringSlots = reach + batch;
        cvalSlot = ringSlots;
        double cval = plan.cval();
        int slabPitch = lay.slabPitch;
        int ringFloats = Math.toIntExact((long) slabPitch * (ringSlots + 1));
        ring = team != null ? team.shared(store, 0, ringFloats) : store.scratch(ScratchArena.RING, ringFloats, set);
        int nz = lay.shape[0];
        if (team != null) {
            team.rows(nz);
        }
        r0 = team != null ? team.bound(member) : 0;
        r1 = team != null ? team.bound(member + 1) : nz;
        store.fill(ring, cvalSlot * slabPitch, (cvalSlot + 1) * slabPitch, cval);
        int longest = 1;
        for (int a = 0; a < rank; a++) {
            longest = (int) Math.max(longest, in.shape(a));
        }
        int maxReach = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            maxReach = Math.max(maxReach, p.kernel().size());
        }
        rowOffsets = new int[longest + maxReach + batch];
        slotOffsets = new int[ringSlots];
        blockOffsets = new int[ringSlots + 1];
        batchOut = team != null ? team.shared(store, 1, batch * slabPitch)
                : store.scratch(ScratchArena.BATCH_OUT, batch * slabPitch, set);
        // every slab-sized place keeps a row of cval past its data, for constant-mode slab passes
        for (int k = 0; k <= ringSlots; k++) {
            store.fill(ring, k * slabPitch + lay.slabData, (k + 1) * slabPitch, cval);
        }
        for (int k = 0; k < batch; k++) {
            store.fill(batchOut, k * slabPitch + lay.slabData, (k + 1) * slabPitch, cval);
        }
        int bigPitch = lay.bigPitch;
        int gatherFloats = Math.toIntExact((long) GROUP * bigPitch);
        gatherBuf = before.isEmpty() ? store.array(0) : team != null ? team.shared(store, 2, gatherFloats)
                : store.scratch(ScratchArena.GATHER, gatherFloats, 0);
        for (int b = 0; b < (team != null ? 2 : 1); b++) {
            Object gb = b == 0 ? gatherBuf : team.shared(store, 3, gatherFloats);
            for (int k = 0; k < (before.isEmpty() ? 0 : GROUP); k++) {
                store.fill(gb, (k + 1) * bigPitch - lay.rowLen, (k + 1) * bigPitch, cval);
            }
        }
        passes = new SlabPasses(lay, store, plan.cval(), in.shape(0), ring, batchOut, longest + maxReach + batch);
    }

    @Override
    public void trackRange(FloatTileKernel kernel, float[] acc) {
        io.trackRange(kernel, acc);
    }

    @Override
    public void attach(Monitor monitor, BooleanSupplier stop, int worker) {
        this.mon = monitor;
        this.stop = stop;
        this.worker = worker;
    }

    /** Adds the time since {@code t0} to phase {@code p}; returns now (0 without a monitor). */
    long lap(Monitor.Phase p, long t0) {
        if (mon == null) {
            return 0;
        }
        long t = System.nanoTime();
        mon.add(p, t - t0);
        if (mon.phaseSpans()) {
            mon.span(worker, t0, t, p.name().toLowerCase(Locale.ROOT));
        }
        return t;
    }

    long now() {
        return mon == null ? 0 : System.nanoTime();
    }

    /** Between batches: stops a cancelled or failed run, reports {@code slabs} output slabs done. */
    void batchDone(int slabs) {
        if (mon != null) {
            mon.advance((long) slabs * (team != null ? r1 - r0 : lay.rows(zCore)) * lay.rowLen);
        }
        if (stop.getAsBoolean()) {
            throw new PenumbraException("interrupted");
        }
    }

    /** The slab passes on this worker's rows: a team member's own, or every row. */
    private SlabPasses.Slab slabPasses(List<Pass> list, Object src, int srcOff, Object dst, int dstOff, int z) {
        return passes.run(list, src, srcOff, dst, dstOff, z, z0, team != null, r0, r1);
    }

    @Override
    public void run(Chunk chunk) {
        prepare(chunk);
        runChunk((int) chunk.lo(s), (int) chunk.hi(s));
        finish(chunk);
    }

    /** Sets the chunk's axis-0 range and tells the input what the chunk will read. */
    void prepare(Chunk chunk) {
        int c0 = (int) chunk.lo(s);
        int c1 = (int) chunk.hi(s);
        int n = (int) in.shape(s);
        if (lay.cutZ) {
            z0 = (int) chunk.lo(0);
            zCore = (int) (chunk.hi(0) - chunk.lo(0));
        } else {
            z0 = 0;
            zCore = lay.shape[0];
        }
        int reachL = streamPass == null ? 0 : streamPass.kernel().left();
        int reachR = streamPass == null ? 0 : streamPass.kernel().right();
        if (crowdsInput) {
            // a window at a time (stream()), so that what was fetched is still there when it is read
            advisedTo = droppedTo = Math.max(0, c0 - reachL);
            chunkEnd = Math.min(n, c1 + reachR);
            streamInput(c0);
        } else {
            adviseInput(Math.max(0, c0 - reachL), Math.min(n, c1 + reachR), false);
        }
    }

    /**
     * An input that crowds the memory is fetched a window ahead of the stream and let go right behind
     * it: fetching a whole chunk at once (two threads: 1.6 GB of a 6 GiB volume in a 3 GiB cgroup)
     * had its first rows evicted before the stream reached its last, and the disk read the input 2.3
     * times over. {@code o}: the first output slab of the batch about to run.
     */
    private void streamInput(int o) {
        int reachL = streamPass == null ? 0 : streamPass.kernel().left();
        int reachR = streamPass == null ? 0 : streamPass.kernel().right();
        int window = inputWindow;
        if (o + batch + reachR + window / 2 > advisedTo && advisedTo < chunkEnd) {
            int to = Math.min(chunkEnd, Math.max(advisedTo, o - reachL) + window);
            adviseInput(advisedTo, to, false);
            advisedTo = to;
        }
        int behind = o - reachL; // rows before this one no batch from o on reads
        if (behind - droppedTo >= window) {
            adviseInput(droppedTo, behind, true);
            droppedTo = behind;
        }
    }

    /** After the chunk: lets the pages of its own input rows go when the input crowds the RAM. */
    void finish(Chunk chunk) {
        int c0 = (int) chunk.lo(s);
        int c1 = (int) chunk.hi(s);
        // this chunk's own input rows are done (neighbours re-read their halo from the page cache);
        // only for inputs that crowd the RAM: dropping a small input's pages makes every later run
        // of the same file fault them in again (seed, cached: gather 57 -> 116 ms in profile)
        if (crowdsInput) {
            // but for the rows the next chunk's first batches read again (its halo): dropped here,
            // they were read from disk twice (0.9 GB of a 6 GiB volume's 24 team chunks)
            int reachL = streamPass == null ? 0 : streamPass.kernel().left();
            adviseInput(Math.max(c0, droppedTo), c1 - reachL, true);
        }
    }

    /**
     * Tells the input what this chunk reads: rows {@code [y0, y1)} of the stream axis, with axis 0's
     * halo when axis 0 is cut (one member of a team speaks for it).
     */
    private void adviseInput(int y0, int y1, boolean done) {
        if (member > 0 || y1 <= y0) {
            return;
        }
        long[] lo = new long[rank];
        long[] hi = in.shape();
        lo[s] = y0;
        hi[s] = y1;
        if (lay.cutZ) {
            lo[0] = Math.max(0, z0 - lay.zHl);
            hi[0] = Math.min(in.shape(0), z0 + zCore + lay.zHr);
        }
        if (done) {
            in.doneReading(lo, hi);
        } else {
            in.willRead(lo, hi);
        }
    }

    private void runChunk(int c0, int c1) {
        begin(c0);
        for (int o = c0; o < c1; o += batch) {
            int nOut = Math.min(batch, c1 - o);
            batch(o, nOut);
            long clock = now();
            writeSlabs(batchOut, nOut, o, batchOffsets());
            outputWritten(o + nOut);
            lap(Monitor.Phase.WRITE, clock);
            batchDone(nOut);
        }
    }

    /** Slab j of a batch at {@code j * slabPitch} of {@link #batchOut()}. */
    int[] batchOffsets() {
        for (int j = 0; j < batch; j++) {
            groupOffs[j] = j * lay.slabPitch;
        }
        return groupOffs;
    }

    /** Where {@link #batch} leaves its output slabs. */
    Object batchOut() {
        return batchOut;
    }

    SlabLayout layout() {
        return lay;
    }

    /** The axis streamed one slab at a time. */
    int streamAxis() {
        return s;
    }

    /** The ring of the s pass starts empty at the chunk's first output {@code c0}. */
    void begin(int c0) {
        first = c0 - (streamPass == null ? 0 : streamPass.kernel().left());
        ready = first;
        wbFrom = wbTo = c0;
    }

    /**
     * Output slabs before {@code upTo} are written by this worker: every {@code crowdedStep} bytes,
     * the chunk's slabs so far go to the sink ({@link #writeBehind}); a team's member 0 stays
     * {@code 3 * batch} slabs behind, farther than the other members can be behind it (they meet at
     * every gathered group).
     */
    void outputWritten(int upTo) {
        if (!writeBehind) {
            return;
        }
        int to = team != null ? upTo - 3 * batch : upTo;
        long rows = lay.rows(zCore);
        if ((long) (to - wbTo) * rows * lay.rowLen * out.dtype().size() < crowdedStep) {
            return;
        }
        long[] lo = new long[rank];
        long[] hi = out.shape();
        lo[s] = wbFrom; // from the chunk's start: the sink skips what it wrote before, and aligns
        hi[s] = to;
        if (s != 0) {
            lo[0] = z0;
            hi[0] = z0 + zCore;
        }
        out.doneWriting(lo, hi);
        wbTo = to;
    }

    /**
     * Computes output slabs {@code o .. o+nOut-1} ({@code nOut <= batch}, batches in order from the
     * chunk's start) into {@link #batchOut()}: gathers the input slabs the batch needs into the
     * ring, runs the s pass on them and the passes after it on the batch.
     */
    void batch(int o, int nOut) {
        if (crowdsInput) {
            streamInput(o);
        }
        int slabPitch = lay.slabPitch;
        int n = (int) in.shape(s);
        if (streamPass == null) {
            // every pass stays inside a slab: gather the batch's slabs and filter them in place
            slabsAt(o, nOut, batchOut, batchOffsets());
            return;
        }
        Kernel1D k = streamPass.kernel();
        BoundaryMode mode = streamPass.mode();
        int left = k.left();
        int right = k.right();
        int size = k.size();
        // ring slot of virtual position p (relative to first = c0 - left): (p - first) % ringSlots
        int need = o + nOut - 1 + right; // last virtual position the batch reads
        while (ready <= need) {
            int slot = (ready - first) % ringSlots;
            long q = mode.map(ready, n);
            if (q < 0) {
                slotOffsets[slot] = -1;
                ready++;
                continue;
            }
            // consecutive input slabs are gathered together: their rows are neighbours in the file
            int g = 1;
            while (g < GROUP && ready + g <= need && mode.map(ready + g, n) == q + g) {
                g++;
            }
            for (int j = 0; j < g; j++) {
                int sj = (ready + j - first) % ringSlots;
                groupOffs[j] = sj * slabPitch;
                slotOffsets[sj] = sj * slabPitch;
            }
            slabsAt((int) q, g, ring, groupOffs);
            ready += g;
        }
        for (int t = 0; t < nOut + size - 1; t++) {
            int slot = (o - left + t - first) % ringSlots;
            rowOffsets[t] = slotOffsets[slot] < 0 ? cvalSlot * slabPitch : slotOffsets[slot];
        }
        long clock = now();
        int from = team != null ? r0 * lay.rowPitch : 0;
        int width = team != null ? r1 * lay.rowPitch : lay.slabData;
        for (int xb = from; xb < width; xb += BLOCK) {
            for (int t = 0; t < nOut + size - 1; t++) {
                blockOffsets[t] = rowOffsets[t] + xb;
            }
            store.rows(ring, blockOffsets, nOut, Math.min(BLOCK, width - xb), batchOut, xb, slabPitch, k);
        }
        clock = lap(Monitor.Phase.STREAM, clock);
        if (!after.isEmpty()) {
            for (int b = 0; b < nOut; b++) {
                slabPasses(after, batchOut, b * slabPitch, batchOut, b * slabPitch, zCore);
            }
        }
        lap(Monitor.Phase.AFTER, clock);
    }

    /**
     * Gathers input slabs {@code q0 .. q0+g-1} and runs the passes before the s pass on each,
     * leaving slab j at {@code dst[dstOffs[j]]}. Rows are read slab-inner, so each read continues
     * where the previous one ended in the file.
     */
    private void slabsAt(int q0, int g, Object dst, int[] dstOffs) {
        boolean direct = before.isEmpty();
        if (donor != null) {
            long t = now();
            for (int j = 0; j < g; j++) {
                int from = donor.rawSlab(q0 + j);
                if (direct) {
                    System.arraycopy(donor.ring, from, dst, dstOffs[j], lay.slabData);
                } else {
                    slabPasses(before, donor.ring, from, dst, dstOffs[j], zCore);
                }
            }
            lap(Monitor.Phase.BEFORE, t);
            return;
        }
        Object gb = direct ? dst : gatherBuf;
        // the gather spans axis 0's halo; its pass brings the slab back to the chunk's core
        int gatherZ = lay.cutZ ? zCore + lay.zHl + lay.zHr : zCore;
        int rows = lay.rows(gatherZ);
        BoundaryMode zMode = zPass == null ? BoundaryMode.NEAREST : zPass.mode();
        double cval = plan.cval();
        if (team != null && !direct) {
            // gather buffers alternate, so one meeting a group keeps a member from refilling the buffer
            // another still reads
            gb = team.shared(store, 2 + (groups++ & 1), 0);
            gatherBuf = gb;
        }
        long t = now();
        if (team != null && !direct) {
            // the rows are claimed a few at a time, not split by the shares: whoever finished its own
            // rows' work first gathers more, and the members reach the meeting together
            computed = System.nanoTime();
            int end = team.bound(team.size); // = rows: a team streams 3-d volumes, axis 0 whole
            for (int r = team.claim(CLAIM); r < end; r = team.claim(CLAIM)) {
                for (int e = Math.min(end, r + CLAIM); r < e; r++) {
                    gatherRow(r, q0, g, gb, dstOffs, false, gatherZ, zMode, cval);
                }
            }
        } else {
            for (int r = team != null ? r0 : 0; r < (team != null ? r1 : rows); r++) {
                gatherRow(r, q0, g, gb, dstOffs, direct, gatherZ, zMode, cval);
            }
        }
        t = lap(Monitor.Phase.GATHER, t);
        if (!direct) {
            if (team != null) {
                // the axis-0 pass reads rows the other members gathered; the last to arrive moves
                // the members' row bounds by how fast each worked on its own rows since the last
                // meeting (its share of the gather left out)
                team.worked(member, r1 - r0, leftBarrier == 0 ? 0 : computed - leftBarrier);
                team.barrier.await(team::meet);
                leftBarrier = System.nanoTime();
                r0 = team.bound(member);
                r1 = team.bound(member + 1);
                t = lap(Monitor.Phase.WAIT, t);
            }
            for (int j = 0; j < g; j++) {
                slabPasses(before, gatherBuf, j * lay.bigPitch, dst, dstOffs[j], gatherZ);
            }
            lap(Monitor.Phase.BEFORE, t);
        }
    }

    /**
     * Gathers row {@code r} of input slabs {@code q0 .. q0+g-1} into {@code gb}: at
     * {@code dstOffs[j]} (direct) or at slab j's place in the gather buffer.
     */
    private void gatherRow(int r, int q0, int g, Object gb, int[] dstOffs, boolean direct, int gatherZ,
                           BoundaryMode zMode, double cval) {
        long[] at = runAt;
        at[rank - 1] = 0;
        int rowLen = lay.rowLen;
        int rest = r;
        int base = 0;
        boolean constant = false;
        for (int k = rank - 3; k >= 0; k--) {
            int i = rest % lay.extent(k, gatherZ);
            rest /= lay.extent(k, gatherZ);
            base += i * lay.stride[k];
            long coord = i;
            if (k == 0 && lay.cutZ) {
                coord = zMode.map(z0 - lay.zHl + i, in.shape(0));
                constant = coord < 0;
            }
            at[lay.axes[k]] = coord;
        }
        if (!constant && g > 1) {
            // the g rows follow each other in a C-ordered file: one read may bring them all
            at[s] = q0;
            in.willReadRows(at, s, g, rowLen);
        }
        for (int j = 0; j < g; j++) {
            int pos = (direct ? dstOffs[j] : j * lay.bigPitch) + base;
            if (constant) {
                store.fill(gb, pos, pos + rowLen, cval);
            } else {
                at[s] = q0 + j;
                store.read(io, in, at, rowLen, gb, pos);
            }
        }
    }

    /**
     * Writes output slabs {@code o .. o+g-1}, slab j from {@code src[srcOffs[j]]}, slab-inner so
     * that consecutive writes continue each other in the file.
     */
    void writeSlabs(Object src, int g, int o, int[] srcOffs) {
        int slabRows = lay.rows(zCore);
        long[] at = runAt;
        at[rank - 1] = 0;
        for (int r = team != null ? r0 : 0; r < (team != null ? r1 : slabRows); r++) {
            int rest = r;
            int base = 0;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % lay.extent(k, zCore);
                rest /= lay.extent(k, zCore);
                at[lay.axes[k]] = k == 0 ? z0 + i : i;
                base += i * lay.stride[k];
            }
            for (int j = 0; j < g; j++) {
                at[s] = o + j;
                if (fold == null) {
                    store.write(io, out, at, lay.rowLen, src, srcOffs[j] + base);
                } else {
                    foldInto(at, src, srcOffs[j] + base);
                }
            }
        }
    }

    /** Folds one row of this term's result into the output row at {@code at} ({@link Fold}). */
    private void foldInto(long[] at, Object src, int off) {
        int n = lay.rowLen;
        if (foldRow == null || store.length(foldRow) < n) {
            foldRow = store.array(n);
        }
        boolean first = fold.index() == 0;
        if (!first) {
            store.read(null, (Source) out, at, n, foldRow, 0);
        }
        store.fold(src, off, foldRow, 0, n, first, fold.index() == fold.count() - 1, fold.how());
        store.write(io, out, at, n, foldRow, 0);
    }

    /**
     * True when this worker's ring holds the raw input slabs of every batch it ran, in a layout
     * others can read: no pass before the streamed one, no team, axis 0 whole.
     */
    boolean holdsRawSlabs() {
        return streamPass != null && before.isEmpty() && team == null && !lay.cutZ;
    }

    /**
     * Lets this worker, whose batch needs exactly its own input slabs (no pass on the streamed
     * axis, no team, axis 0 whole), read them from {@code d}'s ring once {@code d} ran the same
     * batch: laplace's three terms gathered the input three times (half of the threads' time on
     * the seed shape in float64). Returns false, and changes nothing, when the layouts differ.
     */
    boolean gatherFrom(SlabStream d) {
        if (streamPass != null || team != null || lay.cutZ || !d.holdsRawSlabs() || d.store != store
                || d.lay.slabPitch != lay.slabPitch || d.lay.rowPitch != lay.rowPitch || d.lay.bigPitch != lay.bigPitch
                || d.s != s || d.in != in) {
            return false;
        }
        donor = d;
        return true;
    }

    /** Where raw input slab {@code p} (inside the volume) sits in the ring after the batch that read it. */
    private int rawSlab(int p) {
        if (p < ready - ringSlots || p >= ready || p < first) {
            throw new IllegalStateException("slab " + p + " is not in the ring [" + Math.max(first, ready - ringSlots)
                    + ", " + ready + ")");
        }
        return ((p - first) % ringSlots) * lay.slabPitch;
    }

    /** The element type of the slabs. */
    SlabStore store() {
        return store;
    }
}
