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
    private final int slabRows;
    private final int rowLen;
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

    /** Floats of scratch one worker needs for {@code plan} on {@code shape}, streaming along {@code axis}. */
    static long scratchFloats(Plan plan, long[] shape, int axis) {
        long slab = 1;
        for (int a = 0; a < shape.length; a++) {
            if (a != axis) {
                slab *= shape[a];
            }
        }
        int reach = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == axis) {
                reach = p.kernel().size() - 1;
            }
        }
        return (slab + 64) * (reach + BATCH + 3);
    }

    SlabStream(Plan plan, Volume in, Volume out, FloatTileKernel kernel, int s) {
        this.plan = plan;
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.s = s;
        this.rank = plan.rank();
        Pass sp = null;
        for (Pass p : plan.terms().get(0).passes()) {
            if (p.axis() == s) {
                sp = p;
            } else if (sp == null) {
                before.add(p);
            } else {
                after.add(p);
            }
        }
        streamPass = sp;
        slabAxes = new int[rank - 1];
        slabShape = new int[rank - 1];
        slabStride = new int[rank - 1];
        for (int a = 0, k = 0; a < rank; a++) {
            if (a != s) {
                slabAxes[k] = a;
                slabShape[k++] = Math.toIntExact(in.shape(a));
            }
        }
        long st = 1;
        int rows = 1;
        for (int k = rank - 2; k >= 0; k--) {
            slabStride[k] = Math.toIntExact(st);
            st *= slabShape[k];
            if (k < rank - 2) {
                rows *= slabShape[k];
            }
        }
        rowLen = slabShape[rank - 2];
        slabRows = rows;
        // an odd number of cache lines between slabs keeps ring slabs out of each other's L1 sets
        long pitch = (st + 15) / 16 * 16 + rowLen;
        pitch = (pitch + 15) / 16 * 16;
        if ((pitch / 16) % 2 == 0) {
            pitch += 16;
        }
        slabPitch = Math.toIntExact(pitch);
        int reach = sp == null ? 0 : sp.kernel().size() - 1;
        ringSlots = reach + BATCH;
        cvalSlot = ringSlots;
        slabA = new float[slabPitch];
        slabB = new float[slabPitch];
        ring = new float[Math.toIntExact((long) slabPitch * (ringSlots + 1))];
        Arrays.fill(ring, cvalSlot * slabPitch, (cvalSlot + 1) * slabPitch, (float) plan.cval());
        int longest = 1;
        for (int d : slabShape) {
            longest = Math.max(longest, d);
        }
        int maxReach = 0;
        for (Pass p : plan.terms().get(0).passes()) {
            maxReach = Math.max(maxReach, p.kernel().size());
        }
        lineIn = new float[longest + maxReach];
        rowOffsets = new int[longest + maxReach + BATCH];
        slotOffsets = new int[ringSlots];
        blockOffsets = new int[ringSlots + 1];
        batchOut = new float[BATCH * slabPitch];
        slabData = slabPitch - rowLen;
        // every slab-sized place keeps a row of cval past its data, for constant-mode slab passes
        for (int k = 0; k <= ringSlots; k++) {
            Arrays.fill(ring, k * slabPitch + slabData, (k + 1) * slabPitch, (float) plan.cval());
        }
        for (int k = 0; k < BATCH; k++) {
            Arrays.fill(batchOut, k * slabPitch + slabData, (k + 1) * slabPitch, (float) plan.cval());
        }
        Arrays.fill(slabA, slabPitch - rowLen, slabPitch, (float) plan.cval());
        Arrays.fill(slabB, slabPitch - rowLen, slabPitch, (float) plan.cval());
    }

    @Override
    public void run(Chunk chunk) {
        int c0 = (int) chunk.lo()[s];
        int c1 = (int) chunk.hi()[s];
        int n = (int) in.shape(s);
        int reachL = streamPass == null ? 0 : streamPass.kernel().left();
        int reachR = streamPass == null ? 0 : streamPass.kernel().right();
        adviseInput(Math.max(0, c0 - reachL), Math.min(n, c1 + reachR), Madvise.Advice.WILLNEED);
        runChunk(c0, c1, n);
        // this chunk's own input rows are done (neighbours re-read their halo from the page cache)
        adviseInput(c0, c1, Madvise.Advice.DONTNEED);
    }

    /**
     * Advises on the input rows {@code [y0, y1)} of the stream axis: one contiguous byte range per
     * index of the axes before it, when the input is a C-ordered mapping.
     */
    private void adviseInput(int y0, int y1, Madvise.Advice advice) {
        if (!in.segment().isMapped() || !in.isCContiguous() || y1 <= y0) {
            return;
        }
        long outer = 1;
        for (int a = 0; a < s; a++) {
            outer *= in.shape(a);
        }
        long planeBytes = in.stride(s) * in.dtype().size();
        long outerBytes = s == 0 ? 0 : in.stride(s - 1) * in.dtype().size();
        long base = in.offset() * in.dtype().size();
        for (long i = 0; i < outer; i++) {
            Madvise.advise(in.segment(), base + i * outerBytes + y0 * planeBytes, (long) (y1 - y0) * planeBytes,
                    advice);
        }
    }

    private void runChunk(int c0, int c1, int n) {
        if (streamPass == null) {
            for (int o = c0; o < c1; o++) {
                slabAt(o, batchOut, 0);
                Slab r = runSlabPasses(after, batchOut, 0, null, 0);
                writeSlab(r.buf, r.off, o);
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
                } else {
                    slabAt((int) q, ring, slot * slabPitch);
                    slotOffsets[slot] = slot * slabPitch;
                }
                ready++;
            }
            for (int t = 0; t < nOut + size - 1; t++) {
                int slot = (o - left + t - first) % ringSlots;
                rowOffsets[t] = slotOffsets[slot] < 0 ? cvalSlot * slabPitch : slotOffsets[slot];
            }
            int width = slabData;
            for (int xb = 0; xb < width; xb += BLOCK) {
                for (int t = 0; t < nOut + size - 1; t++) {
                    blockOffsets[t] = rowOffsets[t] + xb;
                }
                kernel.rows(ring, blockOffsets, nOut, Math.min(BLOCK, width - xb), batchOut, xb, slabPitch, k);
            }
            for (int b = 0; b < nOut; b++) {
                Slab r = runSlabPasses(after, batchOut, b * slabPitch, null, 0);
                writeSlab(r.buf, r.off, o + b);
            }
        }
    }

    /** A slab's place: a buffer and the offset of its first element. */
    private record Slab(float[] buf, int off) {
    }

    /**
     * Gathers input slab {@code q} and runs the passes before the s pass on it, leaving the result
     * at {@code dst[dstOff]}.
     */
    private void slabAt(int q, float[] dst, int dstOff) {
        boolean direct = before.isEmpty();
        float[] g = direct ? dst : slabA;
        int gOff = direct ? dstOff : 0;
        int last = rank - 1;
        long stride = in.stride(last);
        for (int r = 0; r < slabRows; r++) {
            long src = in.offset() + (long) q * in.stride(s);
            int rest = r;
            int base = gOff;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % slabShape[k];
                rest /= slabShape[k];
                src += i * in.stride(slabAxes[k]);
                base += i * slabStride[k];
            }
            io.readFloat(in, src, stride, rowLen, g, base);
        }
        if (!direct) {
            runSlabPasses(before, slabA, 0, dst, dstOff);
        }
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
            slabPass(passes.get(i), cur, curOff, nxt, nxtOff);
            cur = nxt;
            curOff = nxtOff;
        }
        return new Slab(cur, curOff);
    }

    private void slabPass(Pass p, float[] src, int srcOff, float[] dst, int dstOff) {
        int k = slabIndex(p.axis());
        Kernel1D kern = p.kernel();
        int len = slabShape[k];
        int[] map = new int[kern.left() + len + kern.right()];
        for (int i = 0; i < map.length; i++) {
            map[i] = (int) p.mode().map(i - kern.left(), len);
        }
        float cval = (float) plan.cval();
        if (k == rank - 2) {
            int left = kern.left();
            for (int r = 0; r < slabRows; r++) {
                int base = srcOff + r * rowLen;
                // the line itself in one copy; only its extension goes through the mode's map
                System.arraycopy(src, base, lineIn, left, len);
                for (int i = 0; i < left; i++) {
                    lineIn[i] = map[i] < 0 ? cval : src[base + map[i]];
                }
                for (int i = left + len; i < map.length; i++) {
                    lineIn[i] = map[i] < 0 ? cval : src[base + map[i]];
                }
                kernel.line(lineIn, 0, dst, dstOff + r * rowLen, len, kern);
            }
            return;
        }
        int stride = slabStride[k];
        int cvalRow = srcOff + slabPitch - rowLen;
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
            for (int i = 0; i < map.length; i++) {
                rowOffsets[i] = map[i] < 0 ? cvalRow : srcOff + base + map[i] * stride;
            }
            kernel.rows(src, rowOffsets, len, rowLen, dst, dstOff + base, stride, kern);
        }
    }

    private int slabIndex(int axis) {
        return axis < s ? axis : axis - 1;
    }

    /** Writes slab {@code o} of the output from {@code src[srcOff]}. */
    private void writeSlab(float[] src, int srcOff, int o) {
        int last = rank - 1;
        long stride = out.stride(last);
        for (int r = 0; r < slabRows; r++) {
            long dst = out.offset() + (long) o * out.stride(s);
            int rest = r;
            int base = srcOff;
            for (int k = rank - 3; k >= 0; k--) {
                int i = rest % slabShape[k];
                rest /= slabShape[k];
                dst += i * out.stride(slabAxes[k]);
                base += i * slabStride[k];
            }
            io.writeFloat(out, dst, stride, rowLen, src, base);
        }
    }
}
