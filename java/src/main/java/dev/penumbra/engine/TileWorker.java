package dev.penumbra.engine;

import dev.penumbra.backend.LineKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;

/**
 * Computes one chunk of the output at a time, on one thread, in scratch it keeps between chunks.
 *
 * <p>For each term of the plan: gather the chunk plus its halo from the input into the tile,
 * extending lines by each axis's mode where the halo leaves the input (so wrap reads the far side
 * of the volume, not of the chunk); then run the passes in order, each on the region that still
 * matters (the region shrinks by the kernel's reach on its axis); round to the output dtype after
 * each pass as scipy stores intermediates in the output; combine the terms; scatter the chunk.
 * For {@code constant} the out-of-volume part of an axis is reset to cval just before that axis's
 * pass, because scipy extends each pass's input with cval, not the earlier passes' output.
 */
final class TileWorker {
    private final Plan plan;
    private final Volume in;
    private final long[] outOrigin;
    private final Volume out;
    private final LineKernel kernel;
    private final boolean roundToFloat;
    private final int rank;
    private final long[] haloLeft;
    private final long[] haloRight;
    private final RowIO io = new RowIO();

    private double[] work = new double[0];
    private double[] acc = new double[0];
    private double[] lineIn = new double[0];
    private double[] lineOut = new double[0];
    private long[][] map;

    TileWorker(Plan plan, Volume in, long[] outOrigin, Volume out, LineKernel kernel) {
        this.plan = plan;
        this.in = in;
        this.outOrigin = outOrigin.clone();
        this.out = out;
        this.kernel = kernel;
        this.roundToFloat = out.dtype() == DType.F32;
        this.rank = plan.rank();
        this.haloLeft = plan.haloLeft();
        this.haloRight = plan.haloRight();
        this.map = new long[rank][];
    }

    private double round(double v) {
        return roundToFloat ? (float) v : v;
    }

    void run(Chunk chunk) {
        int[] core = new int[rank];
        int[] ext = new int[rank];
        long[] tileOrigin = new long[rank];
        int coreCount = 1;
        long total = 1;
        for (int a = 0; a < rank; a++) {
            core[a] = (int) (chunk.hi()[a] - chunk.lo()[a]);
            ext[a] = Math.toIntExact(core[a] + haloLeft[a] + haloRight[a]);
            tileOrigin[a] = outOrigin[a] + chunk.lo()[a] - haloLeft[a];
            coreCount *= core[a];
            total *= ext[a];
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("tile of " + total + " elements is too large; use smaller chunks");
        }
        int[] ts = new int[rank];
        int s = 1;
        for (int a = rank - 1; a >= 0; a--) {
            ts[a] = s;
            s *= ext[a];
        }
        if (work.length < total) {
            work = new double[(int) total];
        }
        if (acc.length < coreCount) {
            acc = new double[coreCount];
        }
        int[] vlo = new int[rank];
        int[] vhi = new int[rank];
        int termIndex = 0;
        for (Term term : plan.terms()) {
            for (int a = 0; a < rank; a++) {
                vlo[a] = (int) (haloLeft[a] - term.left(a));
                vhi[a] = (int) (haloLeft[a] + core[a] + term.right(a));
            }
            gather(term, tileOrigin, ts, vlo, vhi);
            for (Pass pass : term.passes()) {
                int a = pass.axis();
                if (pass.mode() == BoundaryMode.CONSTANT) {
                    fillOutside(a, tileOrigin, ts, vlo, vhi);
                }
                runPass(pass, ts, vlo, vhi);
                vlo[a] += pass.kernel().left();
                vhi[a] -= pass.kernel().right();
            }
            combine(termIndex++, core, ts);
        }
        if (plan.combine() == Plan.Combine.HYPOT) {
            for (int i = 0; i < coreCount; i++) {
                acc[i] = round(Math.sqrt(acc[i]));
            }
        }
        scatter(chunk, core);
    }

    /** Fills the tile region [vlo, vhi) from the input, extended by the term's modes. */
    private void gather(Term term, long[] tileOrigin, int[] ts, int[] vlo, int[] vhi) {
        for (int a = 0; a < rank; a++) {
            int len = vhi[a] - vlo[a];
            if (map[a] == null || map[a].length < len) {
                map[a] = new long[Math.max(len, 16)];
            }
            BoundaryMode mode = term.mode(a);
            long n = in.shape(a);
            for (int c = 0; c < len; c++) {
                map[a][c] = mode.map(tileOrigin[a] + vlo[a] + c, n);
            }
        }
        int last = rank - 1;
        int rowLen = vhi[last] - vlo[last];
        // the part of the row inside the input is read in one copy
        int inLo = (int) Math.max(0, Math.min(rowLen, -(tileOrigin[last] + vlo[last])));
        int inHi = (int) Math.max(inLo, Math.min(rowLen, in.shape(last) - tileOrigin[last] - vlo[last]));
        double cval = plan.cval();
        int[] idx = new int[rank];
        for (int a = 0; a < last; a++) {
            idx[a] = 0;
        }
        long stride = in.stride(last);
        while (true) {
            int base = vlo[last] * ts[last];
            long src = in.offset();
            boolean constant = false;
            for (int a = 0; a < last; a++) {
                base += (vlo[a] + idx[a]) * ts[a];
                long m = map[a][idx[a]];
                if (m < 0) {
                    constant = true;
                } else {
                    src += m * in.stride(a);
                }
            }
            if (constant) {
                java.util.Arrays.fill(work, base, base + rowLen, cval);
            } else {
                long[] lastMap = map[last];
                for (int c = 0; c < inLo; c++) {
                    work[base + c] = lastMap[c] < 0 ? cval : in.readDouble((src + lastMap[c] * stride) * in.dtype().size());
                }
                if (inHi > inLo) {
                    io.read(in, src + lastMap[inLo] * stride, stride, inHi - inLo, work, base + inLo);
                }
                for (int c = inHi; c < rowLen; c++) {
                    work[base + c] = lastMap[c] < 0 ? cval : in.readDouble((src + lastMap[c] * stride) * in.dtype().size());
                }
            }
            int a = last - 1;
            while (a >= 0) {
                if (++idx[a] < vhi[a] - vlo[a]) {
                    break;
                }
                idx[a] = 0;
                a--;
            }
            if (a < 0) {
                return;
            }
        }
    }

    /** Sets every element of the region outside the input along {@code axis} to cval. */
    private void fillOutside(int axis, long[] tileOrigin, int[] ts, int[] vlo, int[] vhi) {
        double cval = plan.cval();
        long n = in.shape(axis);
        for (int c = vlo[axis]; c < vhi[axis]; c++) {
            long g = tileOrigin[axis] + c;
            if (g >= 0 && g < n) {
                continue;
            }
            int[] lo = vlo.clone();
            int[] hi = vhi.clone();
            lo[axis] = c;
            hi[axis] = c + 1;
            forEachRow(ts, lo, hi, (base, len) -> java.util.Arrays.fill(work, base, base + len, cval));
        }
    }

    private interface RowAction {
        void row(int base, int len);
    }

    /** Calls {@code action} for each C-order row (last axis) of the box [lo, hi). */
    private void forEachRow(int[] ts, int[] lo, int[] hi, RowAction action) {
        int last = rank - 1;
        int[] idx = lo.clone();
        int len = hi[last] - lo[last];
        if (len <= 0) {
            return;
        }
        for (int a = 0; a < last; a++) {
            if (hi[a] <= lo[a]) {
                return;
            }
        }
        while (true) {
            int base = 0;
            for (int a = 0; a < rank; a++) {
                base += idx[a] * ts[a];
            }
            action.row(base, len);
            int a = last - 1;
            while (a >= 0) {
                if (++idx[a] < hi[a]) {
                    break;
                }
                idx[a] = lo[a];
                a--;
            }
            if (a < 0) {
                return;
            }
        }
    }

    /** Correlates every line along the pass's axis in the region, writing the shrunk result in place. */
    private void runPass(Pass pass, int[] ts, int[] vlo, int[] vhi) {
        int axis = pass.axis();
        Kernel1D k = pass.kernel();
        int len = vhi[axis] - vlo[axis];
        int nOut = len - k.left() - k.right();
        int step = ts[axis];
        if (lineOut.length < nOut) {
            lineOut = new double[nOut];
        }
        if (step != 1 && lineIn.length < len) {
            lineIn = new double[len];
        }
        int[] lo = vlo.clone();
        int[] hi = vhi.clone();
        hi[axis] = lo[axis] + 1;
        int outOff = k.left() * step;
        // iterate lines as the rows of the region with the pass axis collapsed to its first index;
        // for the last axis each "row" of length 1 is the start of one contiguous line
        if (axis == rank - 1) {
            forEachStart(ts, lo, hi, base -> {
                kernel.correlate(work, base, lineOut, 0, nOut, k);
                for (int i = 0; i < nOut; i++) {
                    work[base + outOff + i] = round(lineOut[i]);
                }
            });
        } else {
            forEachRow(ts, lo, hi, (rowBase, rowLen) -> {
                for (int r = 0; r < rowLen; r++) {
                    int base = rowBase + r;
                    for (int i = 0, p = base; i < len; i++, p += step) {
                        lineIn[i] = work[p];
                    }
                    kernel.correlate(lineIn, 0, lineOut, 0, nOut, k);
                    for (int i = 0, p = base + outOff; i < nOut; i++, p += step) {
                        work[p] = round(lineOut[i]);
                    }
                }
            });
        }
    }

    private interface StartAction {
        void start(int base);
    }

    private void forEachStart(int[] ts, int[] lo, int[] hi, StartAction action) {
        forEachRow(ts, lo, hi, (base, len) -> {
            for (int r = 0; r < len; r++) {
                action.start(base + r);
            }
        });
    }

    /** Folds the term's core into the accumulator as the plan combines terms. */
    private void combine(int termIndex, int[] core, int[] ts) {
        int[] lo = new int[rank];
        int[] hi = new int[rank];
        for (int a = 0; a < rank; a++) {
            lo[a] = (int) haloLeft[a];
            hi[a] = lo[a] + core[a];
        }
        int[] pos = {0};
        Plan.Combine how = plan.combine();
        forEachRow(ts, lo, hi, (base, len) -> {
            int p = pos[0];
            for (int i = 0; i < len; i++) {
                double v = work[base + i];
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

    /** Writes the accumulated core to the output box of the chunk. */
    private void scatter(Chunk chunk, int[] core) {
        int last = rank - 1;
        int rowLen = core[last];
        int[] idx = new int[rank];
        int p = 0;
        long[] lo = chunk.lo();
        while (true) {
            long dst = out.offset() + lo[last] * out.stride(last);
            for (int a = 0; a < last; a++) {
                dst += (lo[a] + idx[a]) * out.stride(a);
            }
            io.write(out, dst, out.stride(last), rowLen, acc, p);
            p += rowLen;
            int a = last - 1;
            while (a >= 0) {
                if (++idx[a] < core[a]) {
                    break;
                }
                idx[a] = 0;
                a--;
            }
            if (a < 0) {
                return;
            }
        }
    }
}
