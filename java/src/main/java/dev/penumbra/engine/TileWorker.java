package dev.penumbra.engine;

import dev.penumbra.backend.LineKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import java.util.Arrays;

/**
 * The double path's worker: computes one chunk at a time in double scratch it keeps between chunks.
 *
 * <p>For each term of the plan: gather the chunk plus its halo from the input into the tile; run
 * the passes in order, each reading one buffer and writing the other — along the contiguous axis
 * line by line, along the others with the backend's row kernel on bundles of whole rows where it
 * has one ({@link LineKernel#rows}), else line by line through a line buffer — every value rounded
 * to the output dtype as scipy stores intermediates in the output; combine the terms; scatter the
 * chunk. For {@code constant} the out-of-volume part of a pass's line reads cval, because scipy
 * extends each pass's input with cval, not the earlier passes' output.
 */
final class TileWorker implements ChunkWorker {
    private final Plan plan;
    private final Source in;
    private final Sink out;
    private final LineKernel kernel;
    private final DType outType;
    private final boolean integerOut;
    private final boolean runningSums;
    private final TileGeometry g;
    private final RowIO io = new RowIO();

    private double[] bufA = new double[0];
    private double[] bufB = new double[0];
    private double[] acc = new double[0];
    private double[] lineIn = new double[0];
    private double[] lineOut = new double[0];
    private int[] rowOffsets = new int[0];
    private int cvalRow;

    /**
     * {@code runningSums}: the engine gave this worker chunks that hold whole lines of each uniform
     * pass's axis, where scipy's running sums show (NaN spreading along the line, the last bits an
     * integer output's truncation shows): those passes then run line by line as running sums. Else
     * a uniform pass is the plain correlation it is for finite data.
     */
    TileWorker(Plan plan, Source in, long[] outOrigin, Sink out, LineKernel kernel, boolean runningSums) {
        this.runningSums = runningSums;
        this.plan = plan;
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.outType = out.dtype();
        this.integerOut = !outType.isFloating();
        this.g = new TileGeometry(plan, in, outOrigin, Double.BYTES);
    }

    /** {@code v} as scipy stores it in the output (intermediates live in the output too). */
    private double round(double v) {
        return outType.castLikeC(v);
    }

    @Override
    public void run(Chunk chunk) {
        g.set(chunk);
        int rowWidth = g.ext[g.rank - 1];
        int need = g.total + rowWidth;
        if (bufA.length < need) {
            bufA = new double[need];
            bufB = new double[need];
        }
        // a row of cval just past the tile, in both buffers, for constant-mode rows
        cvalRow = g.total;
        Arrays.fill(bufA, cvalRow, cvalRow + rowWidth, plan.cval());
        Arrays.fill(bufB, cvalRow, cvalRow + rowWidth, plan.cval());
        if (acc.length < g.coreCount) {
            acc = new double[g.coreCount];
        }
        int[] vlo = new int[g.rank];
        int[] vhi = new int[g.rank];
        int termIndex = 0;
        for (Term term : plan.terms()) {
            g.initRegion(term, vlo, vhi);
            double[] cur = bufA;
            double[] nxt = bufB;
            double[] target = cur;
            g.gather(term, vlo, vhi, plan.cval(), new TileGeometry.GatherSink() {
                public void fill(int base, int len, double value) {
                    Arrays.fill(target, base, base + len, value);
                }

                public void readRun(long[] at, int count, int base) {
                    io.read(in, at, count, target, base);
                }
            });
            for (Pass pass : term.passes()) {
                runPass(pass, vlo, vhi, cur, nxt);
                double[] t = cur;
                cur = nxt;
                nxt = t;
                if (!g.spans[pass.axis()]) {
                    vlo[pass.axis()] += pass.kernel().left();
                    vhi[pass.axis()] -= pass.kernel().right();
                }
            }
            combine(termIndex++, cur);
        }
        if (plan.combine() == Plan.Combine.HYPOT) {
            for (int i = 0; i < g.coreCount; i++) {
                acc[i] = outType.sqrtLikeNumpy(acc[i]);
            }
        }
        int rowLen = g.core[g.rank - 1];
        int[] p = {0};
        TileGeometry.forEachOutputRow(out, chunk, at -> {
            io.write(out, at, rowLen, acc, p[0]);
            p[0] += rowLen;
        });
    }

    /** Correlates every line along the pass's axis in the region, from {@code cur} into {@code nxt}. */
    private void runPass(Pass pass, int[] vlo, int[] vhi, double[] cur, double[] nxt) {
        int axis = pass.axis();
        int last = g.rank - 1;
        Kernel1D k = pass.kernel();
        int[] src = g.passSources(axis, pass.mode(), k.left(), k.right(), vlo[axis], vhi[axis]);
        boolean spanning = g.spans[axis];
        int nOut = src.length - k.left() - k.right();
        int outStart = spanning ? vlo[axis] : vlo[axis] + k.left();
        int step = g.ts[axis];
        boolean rounds = outType != DType.F64;
        int[] lo = vlo.clone();
        int[] hi = vhi.clone();
        hi[axis] = lo[axis] + 1;
        boolean sums = runningSums && k.runningMean() && spanning;
        if (axis != last && kernel.hasRows() && !sums) {
            // one call per bundle: the rows along the pass axis at fixed indices of the other outer axes
            int width = vhi[last] - vlo[last];
            rowOffsets = g.forEachBundle(axis, vlo, vhi, src, cvalRow, rowOffsets, (offsets, line0) -> {
                int d0 = line0 + outStart * step;
                kernel.rows(cur, offsets, nOut, width, nxt, d0, step, k);
                if (rounds) {
                    for (int o = 0; o < nOut; o++) {
                        for (int x = d0 + o * step, e = x + width; x < e; x++) {
                            nxt[x] = round(nxt[x]);
                        }
                    }
                }
            });
            return;
        }
        boolean direct = step == 1 && isRun(src);
        double cval = plan.cval();
        if (lineOut.length < nOut) {
            lineOut = new double[nOut];
        }
        if (lineIn.length < src.length) {
            lineIn = new double[src.length];
        }
        // every element of the region with the pass axis collapsed starts one line
        g.forEachRow(lo, hi, (rowBase, rowLen) -> {
            for (int r = 0; r < rowLen; r++) {
                int line0 = rowBase + r - vlo[axis] * step;
                if (!direct) {
                    for (int i = 0; i < src.length; i++) {
                        int m = src[i];
                        lineIn[i] = m < 0 ? cval : cur[line0 + m * step];
                    }
                }
                double[] line = direct ? cur : lineIn;
                int from = direct ? line0 + src[0] : 0;
                if (sums && integerOut) {
                    // truncation to an integer shows the last bit of each mean: scipy's own running
                    // sum, over whole lines (the engine gives integer outputs chunks that hold them)
                    runningMean(line, from, lineOut, nOut, k.size());
                } else {
                    kernel.correlate(line, from, lineOut, 0, nOut, k);
                    if (sums) {
                        // scipy's running sum: from the first non-finite value of the extended line on,
                        // every output whose window has moved past it is NaN (inf - inf, NaN + x)
                        for (int e = 0; e < nOut; e++) {
                            if (!Double.isFinite(line[from + e])) {
                                for (int i = e + 1; i < nOut; i++) {
                                    lineOut[i] = Double.NaN;
                                }
                                break;
                            }
                        }
                    }
                }
                for (int i = 0, q = line0 + outStart * step; i < nOut; i++, q += step) {
                    nxt[q] = round(lineOut[i]);
                }
            }
        });
    }

    /**
     * scipy's uniform_filter1d on one extended line: the first window summed in order, then the
     * sum moved along (adding the element that enters, less the one that leaves), each output the
     * sum divided by the size.
     */
    static void runningMean(double[] in, int from, double[] out, int n, int size) {
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += in[from + i];
        }
        out[0] = sum / size;
        for (int l = 1; l < n; l++) {
            sum += in[from + l + size - 1] - in[from + l - 1];
            out[l] = sum / size;
        }
    }

    /** True when the sources are consecutive tile positions (no extension, no cval: -1 never starts a run). */
    static boolean isRun(int[] src) {
        if (src.length == 0 || src[0] < 0) {
            return false;
        }
        for (int i = 0; i < src.length; i++) {
            if (src[i] != src[0] + i) {
                return false;
            }
        }
        return true;
    }

    /** Folds the term's core (in {@code cur}) into the accumulator as the plan combines terms. */
    private void combine(int termIndex, double[] cur) {
        int[] lo = new int[g.rank];
        int[] hi = new int[g.rank];
        g.coreBox(lo, hi);
        int[] pos = {0};
        Plan.Combine how = plan.combine();
        g.forEachRow(lo, hi, (base, len) -> {
            int p = pos[0];
            for (int i = 0; i < len; i++) {
                double v = cur[base + i];
                if (integerOut) {
                    // numpy's integer arithmetic (output += tmp, tmp *= tmp) wraps around
                    long w = (long) v;
                    switch (how) {
                        case SINGLE -> acc[p + i] = v;
                        case SUM -> acc[p + i] = termIndex == 0 ? v : outType.wrap((long) acc[p + i] + w);
                        case HYPOT -> {
                            double sq = outType.wrap(w * w);
                            acc[p + i] = termIndex == 0 ? sq : outType.wrap((long) acc[p + i] + (long) sq);
                        }
                    }
                    continue;
                }
                switch (how) {
                    case SINGLE -> acc[p + i] = v;
                    case SUM -> acc[p + i] = termIndex == 0 ? v : round(acc[p + i] + v);
                    case HYPOT -> {
                        double sq = round(v * v);
                        acc[p + i] = termIndex == 0 ? sq : round(acc[p + i] + sq);
                    }
                }
            }
            pos[0] = p + len;
        });
    }
}
