package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import java.util.Arrays;

/**
 * The float32 fast path: the same tiles as {@link TileWorker}, in float scratch, each pass reading
 * one buffer and writing the other. Passes along the contiguous axis run the line kernel on each
 * row; passes along any other axis run the row kernel on bundles of whole rows (vectorised across
 * the contiguous axis), with the pass's extension expressed as a row map — cval rows point at a
 * row of cval kept past the end of each buffer. All passes, and the terms of compound filters,
 * stay in the worker's scratch; only the final core is written to the output.
 */
final class FloatTileWorker implements ChunkWorker {
    private final Plan plan;
    private final Source in;
    private final Sink out;
    private final FloatTileKernel kernel;
    private final TileGeometry g;
    private final RowIO io = new RowIO();

    private float[] bufA = new float[0];
    private float[] bufB = new float[0];
    private float[] acc = new float[0];
    private float[] lineIn = new float[0];
    private int[] rowOffsets = new int[0];
    private int cvalRow;

    FloatTileWorker(Plan plan, Source in, long[] outOrigin, Sink out, FloatTileKernel kernel) {
        this.plan = plan;
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.g = new TileGeometry(plan, in, outOrigin, Float.BYTES);
    }

    @Override
    public void trackRange(FloatTileKernel kernel, float[] acc) {
        io.trackRange(kernel, acc);
    }

    @Override
    public void run(Chunk chunk) {
        g.set(chunk);
        int rowWidth = g.ext[g.rank - 1];
        int need = g.total + rowWidth;
        if (bufA.length < need) {
            bufA = new float[need];
            bufB = new float[need];
        }
        // a row of cval just past the tile, in both buffers, for constant-mode rows
        cvalRow = g.total;
        float cval = (float) plan.cval();
        Arrays.fill(bufA, cvalRow, cvalRow + rowWidth, cval);
        Arrays.fill(bufB, cvalRow, cvalRow + rowWidth, cval);
        if (acc.length < g.coreCount) {
            acc = new float[g.coreCount];
        }
        int[] vlo = new int[g.rank];
        int[] vhi = new int[g.rank];
        int termIndex = 0;
        for (Term term : plan.terms()) {
            g.initRegion(term, vlo, vhi);
            float[] cur = bufA;
            float[] nxt = bufB;
            float[] target = cur;
            g.gather(term, vlo, vhi, plan.cval(), new TileGeometry.GatherSink() {
                public void fill(int base, int len, double value) {
                    Arrays.fill(target, base, base + len, (float) value);
                }

                public void readRun(long[] at, int count, int base) {
                    io.readFloat(in, at, count, target, base);
                }
            });
            for (Pass pass : term.passes()) {
                runPass(pass, vlo, vhi, cur, nxt);
                float[] t = cur;
                cur = nxt;
                nxt = t;
                if (!g.spans[pass.axis()]) {
                    vlo[pass.axis()] += pass.kernel().left();
                    vhi[pass.axis()] -= pass.kernel().right();
                }
            }
            if (plan.combine() == Plan.Combine.SINGLE) {
                // one term: its core goes straight from the tile to the output
                float[] result = cur;
                int rowLen = g.core[g.rank - 1];
                int[] r = {0};
                TileGeometry.forEachOutputRow(out, chunk, at -> io.writeFloat(out, at, rowLen, result,
                        g.coreRowBase(r[0]++)));
                return;
            }
            combine(termIndex++, cur);
        }
        if (plan.combine() == Plan.Combine.HYPOT) {
            for (int i = 0; i < g.coreCount; i++) {
                acc[i] = (float) Math.sqrt(acc[i]);
            }
        }
        int rowLen = g.core[g.rank - 1];
        int[] p = {0};
        TileGeometry.forEachOutputRow(out, chunk, at -> {
            io.writeFloat(out, at, rowLen, acc, p[0]);
            p[0] += rowLen;
        });
    }

    private void runPass(Pass pass, int[] vlo, int[] vhi, float[] cur, float[] nxt) {
        int axis = pass.axis();
        int last = g.rank - 1;
        Kernel1D k = pass.kernel();
        int[] src = g.passSources(axis, pass.mode(), k.left(), k.right(), vlo[axis], vhi[axis]);
        int nOut = src.length - k.left() - k.right();
        int outStart = g.spans[axis] ? vlo[axis] : vlo[axis] + k.left();
        int step = g.ts[axis];
        int[] lo = vlo.clone();
        int[] hi = vhi.clone();
        hi[axis] = lo[axis] + 1;
        if (axis == last) {
            boolean direct = TileWorker.isRun(src);
            float cval = (float) plan.cval();
            if (!direct && lineIn.length < src.length) {
                lineIn = new float[src.length];
            }
            g.forEachRow(lo, hi, (rowBase, rowLen) -> {
                int line0 = rowBase - vlo[axis];
                if (direct) {
                    kernel.line(cur, line0 + src[0], nxt, line0 + outStart, nOut, k);
                } else {
                    for (int i = 0; i < src.length; i++) {
                        int m = src[i];
                        lineIn[i] = m < 0 ? cval : cur[line0 + m];
                    }
                    kernel.line(lineIn, 0, nxt, line0 + outStart, nOut, k);
                }
            });
            return;
        }
        // one call per bundle: the rows along the pass axis at fixed indices of the other outer axes
        int width = vhi[last] - vlo[last];
        rowOffsets = g.forEachBundle(axis, vlo, vhi, src, cvalRow, rowOffsets,
                (offsets, line0) -> kernel.rows(cur, offsets, nOut, width, nxt, line0 + outStart * step, step, k));
    }

    /** Folds the term's core into the accumulator in float, as numpy does in float32. */
    private void combine(int termIndex, float[] cur) {
        int[] lo = new int[g.rank];
        int[] hi = new int[g.rank];
        g.coreBox(lo, hi);
        int[] pos = {0};
        Plan.Combine how = plan.combine();
        g.forEachRow(lo, hi, (base, len) -> {
            int p = pos[0];
            switch (how) {
                case SINGLE -> throw new IllegalStateException("single terms are written from the tile");
                case SUM -> {
                    for (int i = 0; i < len; i++) {
                        acc[p + i] = termIndex == 0 ? cur[base + i] : acc[p + i] + cur[base + i];
                    }
                }
                case HYPOT -> {
                    for (int i = 0; i < len; i++) {
                        float v = cur[base + i];
                        float sq = v * v;
                        acc[p + i] = termIndex == 0 ? sq : acc[p + i] + sq;
                    }
                }
            }
            pos[0] = p + len;
        });
    }
}
