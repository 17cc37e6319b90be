package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.Volume;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The streaming float32 schedule for one separable term over a whole volume (Halide's sliding
 * window): the volume is walked along one outer axis {@code s}, one slab (all other axes, at one
 * index of {@code s}) at a time. Each input slab is gathered once, filtered by the passes that come
 * before the pass on {@code s} (they never mix slabs), and kept in a ring of slabs; the pass on
 * {@code s} combines ring slabs into output slabs two at a time (each loaded row serves both); the
 * passes after it run on the output slab, which is then written. Memory is touched once: the input
 * read, the output written; the ring and the slabs stay in cache.
 *
 * <p>Chunks are ranges of {@code s}; a chunk recomputes the earlier passes for the reach of the
 * {@code s} pass at its ends. Slabs outside the volume along {@code s} are the slabs the mode maps
 * them to (cval slabs for constant), exactly as the tile workers extend lines.
 */
final class SlabStream implements ChunkWorker {
    /**
     * Outputs of the {@code s} pass computed together: with the ring's rows walked in blocks of
     * {@link #BLOCK} floats, the blocks of the batch's input slabs stay in L2 while the kernel makes
     * all its outputs from them (the kernel itself pairs outputs so each load serves two).
     */
    private static final int BATCH = 8;

    /** Floats of each slab the s pass takes at a time. */
    private static final int BLOCK = 1024;

    /** Input slabs gathered together (their rows are consecutive in a C-ordered file). */
    private static final int GROUP = 8;

    private final Plan plan;
    private final Volume in;
    private final Volume out;
    private final FloatTileKernel kernel;
    private final int s;
    private final int rank;
    private final List<Pass> before = new ArrayList<>();
    private final Pass streamPass;
    private final List<Pass> after = new ArrayList<>();
    private final int[] slabAxes;
    private final int[] slabShape;
    private final int[] slabStride;
    private final int slabPitch;
    private final int bigPitch;
    private final int rowLen;
    /** Floats from one slab row to the next: rowLen, padded when long rows would alias in L1. */
    private final int rowPitch;
    private final boolean cutZ;
    private final Pass zPass;
    private final int zHl;
    private final int zHr;
    private int z0;
    private int zCore;
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
    private int groups;
    private final RowIO io = new RowIO();

    private final float[] slabA;
    private final float[] slabB;
    private final float[] ring;
    private final int ringSlots;
    private final int cvalSlot;
    private final float[] lineIn;
    private final int[] rowOffsets;
    private final int[] slotOffsets;
    private final int[] blockOffsets;
    private final float[] batchOut;
    private float[] gatherBuf;
    private final int[] groupOffs = new int[Math.max(GROUP, BATCH)];
    private final int slabData;

    /** True when this schedule can run {@code plan} on a whole volume, streaming along {@code axis}. */
    static boolean canRun(Plan plan, int axis) {
        if (plan.terms().size() != 1 || plan.rank() < 2 || axis < 0 || axis >= plan.rank() - 1) {
            return false;
        }
        int onAxis = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            onAxis += p.axis() == axis ? 1 : 0;
        }
        return onAxis <= 1;
    }

    /** The outer axis with the smallest slabs (its own extent largest). */
    static int streamAxis(long[] shape) {
        int best = 0;
        for (int a = 1; a < shape.length - 1; a++) {
            if (shape[a] > shape[best]) {
                best = a;
            }
        }
        return best;
    }

    /** True when chunks may cut axis 0 (with a halo its own pass consumes before the ring). */
    static boolean canCutAxis0(Plan plan, int axis) {
        if (axis == 0) {
            return false;
        }
        boolean streamPassSeen = false;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == axis) {
                streamPassSeen = true;
            } else if (p.axis() == 0 && streamPassSeen) {
                return false;
            }
        }
        return true;
    }

    /**
     * Floats of scratch one worker needs for {@code plan} on {@code shape}, streaming along
     * {@code axis} with chunks of {@code zChunk} along axis 0.
     */
    static long scratchFloats(Plan plan, long[] shape, int axis, long zChunk) {
        long rest = 1;
        int last = shape.length - 1;
        for (int a = 1; a < shape.length; a++) {
            if (a != axis) {
                rest *= a == last && shape[a] <= Integer.MAX_VALUE ? rowPitch((int) shape[a]) : shape[a];
            }
        }
        long z = axis == 0 ? 1 : zChunk;
        int reach = 0;
        int zReach = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == axis) {
                reach = p.kernel().size() - 1;
            } else if (p.axis() == 0) {
                zReach = p.kernel().size() - 1;
            }
        }
        long slab = axis == 0 ? rest : z * rest;
        long gather = axis == 0 ? rest : (z + zReach) * rest;
        return (slab + 64) * (reach + 2L * BATCH + 1) + (2 + GROUP) * (gather + 64);
    }

    SlabStream(Plan plan, Volume in, Volume out, FloatTileKernel kernel, int s, int zChunk) {
        this(plan, in, out, kernel, s, zChunk, null, 0);
    }

    /**
     * A worker of {@code team} (null: one working alone): member {@code member} owns an equal share of
     * the axis-0 rows of every slab and shares the ring, the output batch and the gather buffers.
     */
    SlabStream(Plan plan, Volume in, Volume out, FloatTileKernel kernel, int s, int zChunk, Team team, int member) {
        this.team = team;
        this.member = member;
        this.plan = plan;
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.s = s;
        this.rank = plan.rank();
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
        cutZ = s != 0 && zChunk < in.shape(0);
        zPass = zp;
        zHl = cutZ && zp != null ? zp.kernel().left() : 0;
        zHr = cutZ && zp != null ? zp.kernel().right() : 0;
        slabAxes = new int[rank - 1];
        slabShape = new int[rank - 1];
        slabStride = new int[rank - 1];
        for (int a = 0, k = 0; a < rank; a++) {
            if (a != s) {
                slabAxes[k] = a;
                slabShape[k++] = Math.toIntExact(in.shape(a));
            }
        }
        if (cutZ) {
            slabShape[0] = zChunk;
        }
        rowLen = slabShape[rank - 2];
        rowPitch = rowPitch(rowLen);
        long st = 1;
        for (int k = rank - 2; k >= 0; k--) {
            slabStride[k] = Math.toIntExact(st);
            st *= k == rank - 2 ? rowPitch : slabShape[k];
        }
        slabPitch = oddLines(st + rowLen);
        // the gather holds axis 0's halo too
        long gathered = cutZ ? st / zChunk * (zChunk + zHl + zHr) : st;
        bigPitch = oddLines(gathered + rowLen);
        int reach = sp == null ? 0 : sp.kernel().size() - 1;
        ringSlots = reach + BATCH;
        cvalSlot = ringSlots;
        float cval = (float) plan.cval();
        slabA = ScratchArena.floats(ScratchArena.SLAB_A, bigPitch);
        slabB = ScratchArena.floats(ScratchArena.SLAB_B, bigPitch);
        int ringFloats = Math.toIntExact((long) slabPitch * (ringSlots + 1));
        ring = team != null ? team.shared(0, ringFloats) : ScratchArena.floats(ScratchArena.RING, ringFloats);
        int nz = slabShape[0];
        if (team != null) {
            team.rows(nz);
        }
        r0 = team != null ? team.bound(member) : 0;
        r1 = team != null ? team.bound(member + 1) : nz;
        Arrays.fill(ring, cvalSlot * slabPitch, (cvalSlot + 1) * slabPitch, cval);
        int longest = 1;
        for (int a = 0; a < rank; a++) {
            longest = (int) Math.max(longest, in.shape(a));
        }
        int maxReach = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            maxReach = Math.max(maxReach, p.kernel().size());
        }
        lineIn = new float[longest + maxReach];
        rowOffsets = new int[longest + maxReach + BATCH];
        slotOffsets = new int[ringSlots];
        blockOffsets = new int[ringSlots + 1];
        batchOut = team != null ? team.shared(1, BATCH * slabPitch)
                : ScratchArena.floats(ScratchArena.BATCH_OUT, BATCH * slabPitch);
        slabData = slabPitch - rowLen;
        // every slab-sized place keeps a row of cval past its data, for constant-mode slab passes
        for (int k = 0; k <= ringSlots; k++) {
            Arrays.fill(ring, k * slabPitch + slabData, (k + 1) * slabPitch, cval);
        }
        for (int k = 0; k < BATCH; k++) {
            Arrays.fill(batchOut, k * slabPitch + slabData, (k + 1) * slabPitch, cval);
        }
        int gatherFloats = Math.toIntExact((long) GROUP * bigPitch);
        gatherBuf = before.isEmpty() ? new float[0] : team != null ? team.shared(2, gatherFloats)
                : ScratchArena.floats(ScratchArena.GATHER, gatherFloats);
        for (int b = 0; b < (team != null ? 2 : 1); b++) {
            float[] gb = b == 0 ? gatherBuf : team.shared(3, gatherFloats);
            for (int k = 0; k < (before.isEmpty() ? 0 : GROUP); k++) {
                Arrays.fill(gb, (k + 1) * bigPitch - rowLen, (k + 1) * bigPitch, cval);
            }
        }
        Arrays.fill(slabA, bigPitch - rowLen, bigPitch, cval);
        Arrays.fill(slabB, bigPitch - rowLen, bigPitch, cval);
    }

    /**
     * The pitch of slab rows of {@code n} floats: rows of 256 floats or more are padded to an odd
     * number of cache lines, because the axis-0 pass reads 25 rows at once and rows a multiple of
     * 4 KiB apart share one L1 set (x = 4096: half the speed of x = 4000 before this).
     */
    static int rowPitch(int n) {
        return n >= 256 ? oddLines(n) : n;
    }

    /** {@code n} floats rounded up to an odd number of cache lines (so slabs do not share L1 sets). */
    private static int oddLines(long n) {
        long p = (n + 15) / 16 * 16;
        if ((p / 16) % 2 == 0) {
            p += 16;
        }
        return Math.toIntExact(p);
    }

    /** Rows (lines of the last axis) of a slab with the current extents. */
    private int slabRows() {
        int r = 1;
        for (int k = 0; k < rank - 2; k++) {
            r *= slabShape[k];
        }
        return r;
    }

    /** Where a slab-sized place keeps its cval row. */
    private int pitchOf(float[] buf) {
        return buf == ring || buf == batchOut ? slabPitch : bigPitch;
    }

    private Monitor mon;
    private java.util.function.BooleanSupplier stop = () -> false;

    @Override
    public void trackRange(FloatTileKernel kernel, float[] acc) {
        io.trackRange(kernel, acc);
    }

    private int worker;

    @Override
    public void attach(Monitor monitor, java.util.function.BooleanSupplier stop, int worker) {
        this.mon = monitor;
        this.stop = stop;
        this.worker = worker;
    }

    /** Adds the time since {@code t0} to phase {@code p}; returns now (0 without a monitor). */
    private long lap(Monitor.Phase p, long t0) {
        if (mon == null) {
            return 0;
        }
        long t = System.nanoTime();
        mon.add(p, t - t0);
        if (mon.phaseSpans()) {
            mon.span(worker, t0, t, p.name().toLowerCase(java.util.Locale.ROOT));
        }
        return t;
    }

    private long now() {
        return mon == null ? 0 : System.nanoTime();
    }

    /** Between batches: stops a cancelled or failed run, reports {@code slabs} output slabs done. */
    private void batchDone(int slabs) {
        if (mon != null) {
            mon.advance((long) slabs * (team != null ? r1 - r0 : slabRows()) * rowLen);
        }
        if (stop.getAsBoolean()) {
            throw new dev.penumbra.PenumbraException("interrupted");
        }
    }

    @Override
    public void run(Chunk chunk) {
        int c0 = (int) chunk.lo()[s];
        int c1 = (int) chunk.hi()[s];
        int n = (int) in.shape(s);
        if (cutZ) {
            z0 = (int) chunk.lo()[0];
            zCore = (int) (chunk.hi()[0] - chunk.lo()[0]);
        } else {
            z0 = 0;
            zCore = slabShape[0];
        }
        int reachL = streamPass == null ? 0 : streamPass.kernel().left();
        int reachR = streamPass == null ? 0 : streamPass.kernel().right();
        adviseInput(Math.max(0, c0 - reachL), Math.min(n, c1 + reachR), Madvise.Advice.WILLNEED);
        runChunk(c0, c1, n);
        // this chunk's own input rows are done (neighbours re-read their halo from the page cache);
        // only for inputs that crowd the RAM: dropping a small input's pages makes every later run
        // of the same file fault them in again (seed, cached: gather 57 -> 116 ms in profile)
        if (in.byteSize() > RAM_BYTES / 4) {
            adviseInput(c0, c1, Madvise.Advice.DONTNEED);
        }
    }

    /**
     * Advises on the input rows {@code [y0, y1)} of the stream axis: one contiguous byte range per
     * index of the axes before it, when the input is a C-ordered mapping.
     */
    private void adviseInput(int y0, int y1, Madvise.Advice advice) {
        if (member > 0 || !in.segment().isMapped() || !in.isCContiguous() || y1 <= y0) {
            return;
        }
        long outer = 1;
        for (int a = 0; a < s; a++) {
            outer *= in.shape(a);
        }
        long first = 0;
        if (cutZ && s == 1) {
            first = Math.max(0, z0 - zHl);
            outer = Math.min(in.shape(0), z0 + zCore + zHr);
        }
        long planeBytes = in.stride(s) * in.dtype().size();
        long outerBytes = s == 0 ? 0 : in.stride(s - 1) * in.dtype().size();
        long base = in.offset() * in.dtype().size();
        for (long i = first; i < outer; i++) {
            Madvise.advise(in.segment(), base + i * outerBytes + y0 * planeBytes, (long) (y1 - y0) * planeBytes,
                    advice);
        }
    }

    private void runChunk(int c0, int c1, int n) {
        if (streamPass == null) {
            for (int o = c0; o < c1; o++) {
                groupOffs[0] = 0;
                slabsAt(o, 1, batchOut, groupOffs);
                long t = now();
                Slab r = runSlabPasses(after, batchOut, 0, null, 0);
                t = lap(Monitor.Phase.AFTER, t);
                writeSlab(r.buf, r.off, o);
                lap(Monitor.Phase.WRITE, t);
                batchDone(1);
            }
            return;
        }
        Kernel1D k = streamPass.kernel();
        BoundaryMode mode = streamPass.mode();
        int left = k.left();
        int right = k.right();
        int size = k.size();
        // ring slot of virtual position p (relative to c0 - left): (p - (c0 - left)) % ringSlots
        int first = c0 - left;
        int ready = first; // next virtual position to compute
        for (int o = c0; o < c1; o += BATCH) {
            int nOut = Math.min(BATCH, c1 - o);
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
            int from = team != null ? r0 * rowPitch : 0;
            int width = team != null ? r1 * rowPitch : slabData;
            for (int xb = from; xb < width; xb += BLOCK) {
                for (int t = 0; t < nOut + size - 1; t++) {
                    blockOffsets[t] = rowOffsets[t] + xb;
                }
                kernel.rows(ring, blockOffsets, nOut, Math.min(BLOCK, width - xb), batchOut, xb, slabPitch, k);
            }
            clock = lap(Monitor.Phase.STREAM, clock);
            if (!after.isEmpty()) {
                for (int b = 0; b < nOut; b++) {
                    runSlabPasses(after, batchOut, b * slabPitch, batchOut, b * slabPitch);
                }
            }
            clock = lap(Monitor.Phase.AFTER, clock);
            writeSlabs(batchOut, nOut, o);
            lap(Monitor.Phase.WRITE, clock);
            batchDone(nOut);
        }
    }

    /** A slab's place: a buffer and the offset of its first element. */
    private record Slab(float[] buf, int off) {
    }

    /**
     * Gathers input slabs {@code q0 .. q0+g-1} and runs the passes before the s pass on each,
     * leaving slab j at {@code dst[dstOffs[j]]}. Rows are read slab-inner, so each read continues
     * where the previous one ended in the file.
     */
    private void slabsAt(int q0, int g, float[] dst, int[] dstOffs) {
        boolean direct = before.isEmpty();
        float[] gb = direct ? dst : gatherBuf;
        // the gather spans axis 0's halo; its pass brings the slab back to the chunk's core
        slabShape[0] = cutZ ? zCore + zHl + zHr : zCore;
        int rows = slabRows();
        int last = rank - 1;
        long stride = in.stride(last);
        long slabStep = in.stride(s);
        BoundaryMode zMode = zPass == null ? BoundaryMode.NEAREST : zPass.mode();
        float cval = (float) plan.cval();
        if (team != null && !direct) {
            // gather buffers alternate, so one meeting a group keeps a member from refilling the buffer
            // another still reads
            gb = team.shared(2 + (groups++ & 1), 0);
            gatherBuf = gb;
        }
        long t = now();
        for (int r = team != null ? r0 : 0; r < (team != null ? r1 : rows); r++) {
            long src = in.offset() + (long) q0 * slabStep;
            int rest = r;
            int base = 0;
            boolean constant = false;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % slabShape[k];
                rest /= slabShape[k];
                base += i * slabStride[k];
                long coord = i;
                if (k == 0 && cutZ) {
                    coord = zMode.map(z0 - zHl + i, in.shape(0));
                    constant = coord < 0;
                }
                src += coord * in.stride(slabAxes[k]);
            }
            for (int j = 0; j < g; j++) {
                int at = (direct ? dstOffs[j] : j * bigPitch) + base;
                if (constant) {
                    Arrays.fill(gb, at, at + rowLen, cval);
                } else {
                    io.readFloat(in, src + j * slabStep, stride, rowLen, gb, at);
                }
            }
        }
        t = lap(Monitor.Phase.GATHER, t);
        if (!direct) {
            if (team != null) {
                // the axis-0 pass reads rows the other members gathered; the last to arrive moves
                // the members' row bounds by how fast each worked since the last meeting
                long arrive = System.nanoTime();
                team.worked(member, r1 - r0, leftBarrier == 0 ? 0 : arrive - leftBarrier);
                team.barrier.await(team::rebalance);
                leftBarrier = System.nanoTime();
                r0 = team.bound(member);
                r1 = team.bound(member + 1);
                t = lap(Monitor.Phase.WAIT, t);
            }
            for (int j = 0; j < g; j++) {
                slabShape[0] = cutZ ? zCore + zHl + zHr : zCore;
                runSlabPasses(before, gatherBuf, j * bigPitch, dst, dstOffs[j]);
            }
            lap(Monitor.Phase.BEFORE, t);
        }
        slabShape[0] = zCore;
    }

    /**
     * Slab-local passes from {@code src[srcOff]}, ping-ponging between slabA and slabB; the last
     * pass writes to {@code dst[dstOff]} when a destination is given. Every slab axis is whole, so
     * lines are extended by their mode.
     */
    private Slab runSlabPasses(List<Pass> passes, float[] src, int srcOff, float[] dst, int dstOff) {
        float[] cur = src;
        int curOff = srcOff;
        for (int i = 0; i < passes.size(); i++) {
            boolean lastPass = i == passes.size() - 1;
            float[] nxt = lastPass && dst != null ? dst : cur == slabA ? slabB : slabA;
            int nxtOff = lastPass && dst != null ? dstOff : 0;
            boolean linePass = slabIndex(passes.get(i).axis()) == rank - 2;
            if (nxt == cur && nxtOff == curOff && !linePass) {
                // a rows pass may not write the slab it reads (it reads rows it would overwrite): go
                // through a temporary and copy the result into place; a line pass copies each line
                // out (with its extension) before writing it, so it runs in place
                float[] tmp = cur == slabA ? slabB : slabA;
                slabPass(passes.get(i), cur, curOff, tmp, 0);
                System.arraycopy(tmp, 0, nxt, nxtOff, slabData);
            } else {
                slabPass(passes.get(i), cur, curOff, nxt, nxtOff);
            }
            cur = nxt;
            curOff = nxtOff;
        }
        return new Slab(cur, curOff);
    }

    private void slabPass(Pass p, float[] src, int srcOff, float[] dst, int dstOff) {
        int k = slabIndex(p.axis());
        Kernel1D kern = p.kernel();
        int len = slabShape[k];
        int nOut = len;
        boolean cut = k == 0 && cutZ;
        int[] map = sourceMap(p, len, cut);
        if (cut) {
            nOut = len - kern.left() - kern.right();
        }
        float cval = (float) plan.cval();
        int slabRows = slabRows();
        if (k == rank - 2) {
            int left = kern.left();
            for (int r = team != null ? r0 : 0; r < (team != null ? r1 : slabRows); r++) {
                int base = srcOff + r * rowPitch;
                // the line itself in one copy; only its extension goes through the mode's map
                System.arraycopy(src, base, lineIn, left, len);
                for (int i = 0; i < left; i++) {
                    lineIn[i] = map[i] < 0 ? cval : src[base + map[i]];
                }
                for (int i = left + len; i < map.length; i++) {
                    lineIn[i] = map[i] < 0 ? cval : src[base + map[i]];
                }
                kernel.line(lineIn, 0, dst, dstOff + r * rowPitch, len, kern);
            }
            return;
        }
        int stride = slabStride[k];
        int cvalRow = srcOff + pitchOf(src) - rowLen;
        // bundles: every index of the slab axes other than k and the last
        int bundles = slabRows / len;
        for (int b = 0; b < bundles; b++) {
            int rest = b;
            int base = 0;
            for (int j = rank - 3; j >= 0; j--) {
                if (j == k) {
                    continue;
                }
                int i = rest % slabShape[j];
                rest /= slabShape[j];
                base += i * slabStride[j];
            }
            if (team != null && k == 0) {
                // this member's outputs of the axis-0 pass: rows r0 .. r1-1, from every member's rows
                for (int i = 0; i < r1 - r0 + kern.size() - 1; i++) {
                    int m = map[r0 + i];
                    rowOffsets[i] = m < 0 ? cvalRow : srcOff + base + m * stride;
                }
                kernel.rows(src, rowOffsets, r1 - r0, rowLen, dst, dstOff + base + r0 * stride, stride, kern);
                continue;
            }
            for (int i = 0; i < map.length; i++) {
                rowOffsets[i] = map[i] < 0 ? cvalRow : srcOff + base + map[i] * stride;
            }
            kernel.rows(src, rowOffsets, nOut, rowLen, dst, dstOff + base, stride, kern);
        }
        if (k == 0 && cutZ) {
            slabShape[0] = nOut;
        }
    }

    private final java.util.IdentityHashMap<Pass, int[]> maps = new java.util.IdentityHashMap<>();
    private final java.util.IdentityHashMap<Pass, Long> mapKeys = new java.util.IdentityHashMap<>();

    /**
     * Where each input position of a slab pass reads from, kept per pass and recomputed only when
     * the slab's extent (or, for a cut axis 0, the chunk) changes: no allocation per slab.
     */
    private int[] sourceMap(Pass p, int len, boolean cut) {
        long key = ((long) len << 32) ^ (cut ? (z0 + 1L) : 0);
        Long have = mapKeys.get(p);
        if (have != null && have == key) {
            return maps.get(p);
        }
        Kernel1D kern = p.kernel();
        int[] map;
        if (cut) {
            // axis 0 carries its halo: read the stored rows (cval outside the volume), shrink to the core
            map = new int[len];
            long n0 = in.shape(0);
            for (int i = 0; i < len; i++) {
                long g = z0 - zHl + i;
                map[i] = p.mode() == BoundaryMode.CONSTANT && (g < 0 || g >= n0) ? -1 : i;
            }
        } else {
            map = new int[kern.left() + len + kern.right()];
            for (int i = 0; i < map.length; i++) {
                map[i] = (int) p.mode().map(i - kern.left(), len);
            }
        }
        maps.put(p, map);
        mapKeys.put(p, key);
        return map;
    }

    private int slabIndex(int axis) {
        return axis < s ? axis : axis - 1;
    }

    /** Writes slab {@code o} of the output from {@code src[srcOff]}. */
    private void writeSlab(float[] src, int srcOff, int o) {
        groupOffs[0] = srcOff;
        writeSlabs(src, 1, o, groupOffs);
    }

    /** Writes output slabs {@code o .. o+g-1} from consecutive pitches of {@code src}. */
    private void writeSlabs(float[] src, int g, int o) {
        for (int j = 0; j < g; j++) {
            groupOffs[j] = j * slabPitch;
        }
        writeSlabs(src, g, o, groupOffs);
    }

    /**
     * Writes output slabs {@code o .. o+g-1}, slab j from {@code src[srcOffs[j]]}, slab-inner so
     * that consecutive writes continue each other in the file.
     */
    private void writeSlabs(float[] src, int g, int o, int[] srcOffs) {
        int last = rank - 1;
        long stride = out.stride(last);
        long slabStep = out.stride(s);
        int slabRows = slabRows();
        for (int r = team != null ? r0 : 0; r < (team != null ? r1 : slabRows); r++) {
            long dst = out.offset() + (long) o * slabStep;
            int rest = r;
            int base = 0;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % slabShape[k];
                rest /= slabShape[k];
                dst += (k == 0 ? z0 + i : i) * out.stride(slabAxes[k]);
                base += i * slabStride[k];
            }
            for (int j = 0; j < g; j++) {
                io.writeFloat(out, dst + j * slabStep, stride, rowLen, src, srcOffs[j] + base);
            }
        }
    }

    /** Physical memory (or a large guess when the JVM cannot tell). */
    private static final long RAM_BYTES = physicalMemory();

    private static long physicalMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 64L << 30;
    }

    /** Volumes smaller than this are streamed by threads on their own chunks, not as a team. */
    static final long TEAM_MIN_ELEMENTS = 1L << 22;

    /** Cores a team may use; 0: the machine's. Tests raise it to run larger teams on two cores (and small volumes). */
    static volatile int teamCores;

    /** True when threads can stream {@code plan} on {@code shape} as a team (see {@link Team}). */
    static boolean canTeam(Plan plan, long[] shape, int axis, int threads) {
        // members meet often: more of them than cores would wait for each other's time slices
        // and small volumes are done before a team's meetings pay off (tiny (16,128,128): 4.6 ms on
        // two threads as a team, 3.0 ms on one)
        if (shape.length != 3 || axis != 1 || threads < 2 || threads > (teamCores > 0 ? teamCores : Runtime.getRuntime().availableProcessors())
                || shape[0] < 2L * threads || (teamCores == 0 && shape[0] * shape[1] * shape[2] < TEAM_MIN_ELEMENTS)) {
            return false;
        }
        int stage = 0; // 0: before the y pass (only z), 1: after it (only x)
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == 1) {
                stage = 1;
            } else if (p.axis() != (stage == 0 ? 0 : 2)) {
                return false;
            }
        }
        return stage == 1;
    }

    /**
     * Threads streaming one chunk together (3-d volumes streamed along y): member j owns the z rows
     * {@code [nz*j/size, nz*(j+1)/size)} of every slab, gathers them, and runs the y pass, the x pass
     * and the write on them. Only the z pass reads other members' rows, so members meet once per
     * gathered group. One ring serves all: the team's cache footprint is one thread's, where
     * separate chunks would each keep a ring (two 7 MB rings in a shared 32 MB L3 stopped the y pass
     * from scaling), and no slab is gathered twice for a chunk border.
     */
    static final class Team {
        final int size;
        final SpinBarrier barrier;
        /** Member j owns axis-0 rows [bounds[j], bounds[j+1]); written only by the barrier's last arriver. */
        private volatile int[] bounds;
        /** Rows per second of each member's work between the last two meetings, smoothed; 0: not yet known. */
        private final double[] speed;
        private final int[] workedRows;
        private final long[] workedNanos;
        private static final int[] SLOTS = {ScratchArena.RING, ScratchArena.BATCH_OUT, ScratchArena.GATHER,
                                            ScratchArena.GATHER_2};
        private final float[][] arrays = new float[4][];

        Team(int size) {
            this.size = size;
            this.barrier = new SpinBarrier(size);
            this.speed = new double[size];
            this.workedRows = new int[size];
            this.workedNanos = new long[size];
        }

        /** Sets the rows to share (every member passes the same), equal shares to begin with. */
        synchronized void rows(int nz) {
            if (bounds == null) {
                int[] b = new int[size + 1];
                for (int j = 0; j <= size; j++) {
                    b[j] = (int) ((long) nz * j / size);
                }
                bounds = b;
            }
        }

        int bound(int j) {
            return bounds[j];
        }

        /** Member {@code j} worked {@code nanos} on {@code rows} rows since it last left the barrier. */
        void worked(int j, int rows, long nanos) {
            workedRows[j] = rows;
            workedNanos[j] = nanos;
        }

        /**
         * Moves the row bounds so that each member's share follows its measured speed (run by the
         * barrier's last arriver, while the others wait). Equal shares assume equal cores: on a
         * shared host one vCPU often runs 1.5x slower than the other for a while (a neighbour on its
         * SMT sibling), and with fixed shares the team ran at the slower one's pace. Every output is
         * computed the same way whoever computes it, so the bytes do not depend on the shares.
         */
        void rebalance() {
            double total = 0;
            for (int j = 0; j < size; j++) {
                if (workedNanos[j] <= 0 || workedRows[j] <= 0) {
                    return; // the first meeting: nothing timed yet
                }
                double s = workedRows[j] / (double) workedNanos[j];
                speed[j] = speed[j] == 0 ? s : 0.5 * speed[j] + 0.5 * s;
                total += speed[j];
            }
            int[] old = bounds;
            int nz = old[size];
            int[] b = new int[size + 1];
            double acc = 0;
            for (int j = 0; j < size; j++) {
                acc += speed[j];
                // at least one row each, and room for one row for each member after j
                b[j + 1] = j == size - 1 ? nz : (int) Math.max(b[j] + 1,
                        Math.min(nz - (size - 1 - j), Math.round(nz * acc / total)));
            }
            bounds = b;
        }

        /** The team's array {@code which} (0 ring, 1 output batch, 2 and 3 gather), made by the first asker. */
        synchronized float[] shared(int which, int n) {
            if (arrays[which] == null || arrays[which].length < n) {
                arrays[which] = ScratchArena.floats(SLOTS[which], n);
            }
            return arrays[which];
        }
    }

    /**
     * A barrier that spins (members meet every millisecond or so; parking would cost more than the
     * wait) and can be broken: when a member fails, the others throw instead of waiting forever.
     */
    static final class SpinBarrier {
        private final int parties;
        private final java.util.concurrent.atomic.AtomicInteger arrived = new java.util.concurrent.atomic.AtomicInteger();
        private volatile int generation;
        private volatile boolean broken;

        SpinBarrier(int parties) {
            this.parties = parties;
        }

        void await() {
            await(() -> { });
        }

        /** Waits for every party; the last to arrive runs {@code onTrip} before releasing the others. */
        void await(Runnable onTrip) {
            int gen = generation;
            if (arrived.incrementAndGet() == parties) {
                arrived.set(0);
                onTrip.run();
                generation = gen + 1;
                return;
            }
            int spins = 0;
            while (generation == gen) {
                if (broken) {
                    throw new dev.penumbra.PenumbraException("stopped: another thread of the run failed");
                }
                if (++spins < 1 << 10) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a member waiting for a core gets this one
                }
            }
        }

        void breakAll() {
            broken = true;
        }
    }
}
