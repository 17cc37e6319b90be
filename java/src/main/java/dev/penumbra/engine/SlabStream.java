package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
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
    static final int BATCH = 8;

    /** Floats of each slab the s pass takes at a time. */
    private static final int BLOCK = 1024;

    /** Input slabs gathered together (their rows are consecutive in a C-ordered file). */
    static final int GROUP = 8;

    private final Plan plan;
    private final Source in;
    private final Sink out;
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
    /** Coordinates of the run being read or written (reused). */
    private final long[] runAt;

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

    SlabStream(Plan plan, Source in, Sink out, FloatTileKernel kernel, int s, int zChunk) {
        this(plan, in, out, kernel, s, zChunk, null, 0);
    }

    /**
     * A worker of {@code team} (null: one working alone): member {@code member} owns an equal share of
     * the axis-0 rows of every slab and shares the ring, the output batch and the gather buffers.
     */
    SlabStream(Plan plan, Source in, Sink out, FloatTileKernel kernel, int s, int zChunk, Team team, int member) {
        this.team = team;
        this.member = member;
        this.plan = plan;
        this.in = in;
        this.out = out;
        this.kernel = kernel;
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

    /** Rows (lines of the last axis) of a slab whose axis 0 has {@code z} rows. */
    private int slabRows(int z) {
        int r = 1;
        for (int k = 0; k < rank - 2; k++) {
            r *= extent(k, z);
        }
        return r;
    }

    /**
     * Extent of slab axis {@code k} when axis 0 has {@code z} rows: a cut axis 0 carries its halo
     * while it is gathered and until its own pass brings it back to the chunk's core.
     */
    private int extent(int k, int z) {
        return k == 0 ? z : slabShape[k];
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
            mon.advance((long) slabs * (team != null ? r1 - r0 : slabRows(zCore)) * rowLen);
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
        adviseInput(Math.max(0, c0 - reachL), Math.min(n, c1 + reachR), false);
        runChunk(c0, c1, n);
        // this chunk's own input rows are done (neighbours re-read their halo from the page cache);
        // only for inputs that crowd the RAM: dropping a small input's pages makes every later run
        // of the same file fault them in again (seed, cached: gather 57 -> 116 ms in profile)
        if (in.byteSize() > Madvise.physicalMemory() / 4) {
            adviseInput(c0, c1, true);
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
        if (cutZ) {
            lo[0] = Math.max(0, z0 - zHl);
            hi[0] = Math.min(in.shape(0), z0 + zCore + zHr);
        }
        if (done) {
            in.doneReading(lo, hi);
        } else {
            in.willRead(lo, hi);
        }
    }

    private void runChunk(int c0, int c1, int n) {
        if (streamPass == null) {
            for (int o = c0; o < c1; o++) {
                groupOffs[0] = 0;
                slabsAt(o, 1, batchOut, groupOffs);
                long t = now();
                Slab r = runSlabPasses(after, batchOut, 0, null, 0, zCore);
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
                    runSlabPasses(after, batchOut, b * slabPitch, batchOut, b * slabPitch, zCore);
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
        int gatherZ = cutZ ? zCore + zHl + zHr : zCore;
        int rows = slabRows(gatherZ);
        BoundaryMode zMode = zPass == null ? BoundaryMode.NEAREST : zPass.mode();
        float cval = (float) plan.cval();
        if (team != null && !direct) {
            // gather buffers alternate, so one meeting a group keeps a member from refilling the buffer
            // another still reads
            gb = team.shared(2 + (groups++ & 1), 0);
            gatherBuf = gb;
        }
        long t = now();
        long[] at = runAt;
        at[rank - 1] = 0;
        for (int r = team != null ? r0 : 0; r < (team != null ? r1 : rows); r++) {
            int rest = r;
            int base = 0;
            boolean constant = false;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % extent(k, gatherZ);
                rest /= extent(k, gatherZ);
                base += i * slabStride[k];
                long coord = i;
                if (k == 0 && cutZ) {
                    coord = zMode.map(z0 - zHl + i, in.shape(0));
                    constant = coord < 0;
                }
                at[slabAxes[k]] = coord;
            }
            for (int j = 0; j < g; j++) {
                int pos = (direct ? dstOffs[j] : j * bigPitch) + base;
                if (constant) {
                    Arrays.fill(gb, pos, pos + rowLen, cval);
                } else {
                    at[s] = q0 + j;
                    io.readFloat(in, at, rowLen, gb, pos);
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
                runSlabPasses(before, gatherBuf, j * bigPitch, dst, dstOffs[j], gatherZ);
            }
            lap(Monitor.Phase.BEFORE, t);
        }
    }

    /**
     * Slab-local passes from {@code src[srcOff]}, ping-ponging between slabA and slabB; the last
     * pass writes to {@code dst[dstOff]} when a destination is given. Every slab axis is whole, so
     * lines are extended by their mode. Axis 0 has {@code z} rows at the start (see {@link #extent}).
     */
    private Slab runSlabPasses(List<Pass> passes, float[] src, int srcOff, float[] dst, int dstOff, int z) {
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
                z = slabPass(passes.get(i), cur, curOff, tmp, 0, z);
                System.arraycopy(tmp, 0, nxt, nxtOff, slabData);
            } else {
                z = slabPass(passes.get(i), cur, curOff, nxt, nxtOff, z);
            }
            cur = nxt;
            curOff = nxtOff;
        }
        return new Slab(cur, curOff);
    }

    /** One slab-local pass; returns axis 0's extent after it (a cut axis 0's pass drops its halo). */
    private int slabPass(Pass p, float[] src, int srcOff, float[] dst, int dstOff, int z) {
        int k = slabIndex(p.axis());
        Kernel1D kern = p.kernel();
        int len = extent(k, z);
        int nOut = len;
        boolean cut = k == 0 && cutZ;
        int[] map = sourceMap(p, len, cut);
        if (cut) {
            nOut = len - kern.left() - kern.right();
        }
        float cval = (float) plan.cval();
        int slabRows = slabRows(z);
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
            return z;
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
                int i = rest % extent(j, z);
                rest /= extent(j, z);
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
        return cut ? nOut : z;
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
        int slabRows = slabRows(zCore);
        long[] at = runAt;
        at[rank - 1] = 0;
        for (int r = team != null ? r0 : 0; r < (team != null ? r1 : slabRows); r++) {
            int rest = r;
            int base = 0;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % extent(k, zCore);
                rest /= extent(k, zCore);
                at[slabAxes[k]] = k == 0 ? z0 + i : i;
                base += i * slabStride[k];
            }
            for (int j = 0; j < g; j++) {
                at[s] = o + j;
                io.writeFloat(out, at, rowLen, src, srcOffs[j] + base);
            }
        }
    }
}
