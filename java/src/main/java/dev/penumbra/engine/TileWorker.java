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
        int[] hl = new int[rank];
        boolean[] spans = new boolean[rank];
        long[] tileOrigin = new long[rank];
        int coreCount = 1;
        long total = 1;
        for (int a = 0; a < rank; a++) {
            core[a] = (int) (chunk.hi()[a] - chunk.lo()[a]);
            // a chunk that spans a whole axis needs no stored halo there: its lines are extended
            // in the line buffer at each pass, as scipy does, from the tile's own values
            spans[a] = outOrigin[a] + chunk.lo()[a] == 0 && outOrigin[a] + chunk.hi()[a] == in.shape(a);
            hl[a] = spans[a] ? 0 : (int) haloLeft[a];
            int hr = spans[a] ? 0 : (int) haloRight[a];
            ext[a] = Math.toIntExact(core[a] + hl[a] + (long) hr);
            tileOrigin[a] = outOrigin[a] + chunk.lo()[a] - hl[a];
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
                vlo[a] = spans[a] ? 0 : hl[a] - term.left(a);
                vhi[a] = spans[a] ? core[a] : hl[a] + core[a] + term.right(a);
            }
            gather(term, tileOrigin, ts, vlo, vhi);
            for (Pass pass : term.passes()) {
                int a = pass.axis();
                if (spans[a]) {
                    runPass(pass, ts, vlo, vhi, true);
                } else {
                    if (pass.mode() == BoundaryMode.CONSTANT) {
                        fillOutside(a, tileOrigin, ts, vlo, vhi);
                    }
                    runPass(pass, ts, vlo, vhi, false);
                    vlo[a] += pass.kernel().left();
                    vhi[a] -= pass.kernel().right();
                }
            }
            combine(termIndex++, core, hl, ts);
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

    /**
     * Correlates every line along the pass's axis in the region. A line of a spanning axis is the
     * whole input line: it is extended by the mode into the line buffer and keeps its length; any
     * other line carries its halo in the tile and its result shrinks by the kernel's reach.
     */
    private void runPass(Pass pass, int[] ts, int[] vlo, int[] vhi, boolean spanning) {
        int axis = pass.axis();
        Kernel1D k = pass.kernel();
        int len = vhi[axis] - vlo[axis];
        int nOut = spanning ? len : len - k.left() - k.right();
        int inLen = spanning ? len + k.left() + k.right() : len;
        int step = ts[axis];
        int[] extension = spanning ? extensionMap(pass.mode(), k.left(), len, k.right()) : null;
        double cval = plan.cval();
        if (lineOut.length < nOut) {
            lineOut = new double[nOut];
        }
        if (lineIn.length < inLen) {
            lineIn = new double[inLen];
        }
        int[] lo = vlo.clone();
        int[] hi = vhi.clone();
        hi[axis] = lo[axis] + 1;
        int outOff = spanning ? 0 : k.left() * step;
        boolean direct = !spanning && step == 1;
        // every element of the region with the pass axis collapsed starts one line
        forEachRow(ts, lo, hi, (rowBase, rowLen) -> {
            for (int r = 0; r < rowLen; r++) {
                int base = rowBase + r;
                if (direct) {
                    kernel.correlate(work, base, lineOut, 0, nOut, k);
                } else {
                    if (spanning) {
                        for (int i = 0; i < inLen; i++) {
                            int m = extension[i];
                            lineIn[i] = m < 0 ? cval : work[base + m * step];
                        }
                    } else {
                        for (int i = 0, p = base; i < len; i++, p += step) {
                            lineIn[i] = work[p];
                        }
                    }
                    kernel.correlate(lineIn, 0, lineOut, 0, nOut, k);
                }
                for (int i = 0, p = base + outOff; i < nOut; i++, p += step) {
                    work[p] = round(lineOut[i]);
                }
            }
        });
    }

    /** Source index in a line of {@code n} for each of the {@code left + n + right} extended positions (-1: cval). */
    private static int[] extensionMap(BoundaryMode mode, int left, int n, int right) {
        int[] m = new int[left + n + right];
        for (int i = 0; i < m.length; i++) {
            m[i] = (int) mode.map(i - left, n);
        }
        return m;
    }

    /** Folds the term's core into the accumulator as the plan combines terms. */
    private void combine(int termIndex, int[] core, int[] hl, int[] ts) {
        int[] lo = new int[rank];
        int[] hi = new int[rank];
        for (int a = 0; a < rank; a++) {
            lo[a] = hl[a];
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
