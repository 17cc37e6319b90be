package dev.penumbra.engine;

import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import java.util.function.Consumer;

/**
 * Where one chunk's tile sits: its core, the halo it stores on each axis, its C-order strides, and
 * how input coordinates map into it. Shared by the double and the float workers, which differ only
 * in the element type of their scratch.
 *
 * <p>An axis that the chunk spans whole stores no halo: its lines are extended in a line buffer (or
 * through a row map) at each pass, from the tile's own values, as scipy extends each pass's input.
 * On other axes the halo holds the input's real neighbours, or the mode's extension where the halo
 * leaves the volume.
 */
final class TileGeometry {
    final int rank;
    private final Source in;
    private final long[] outOrigin;
    private final long[] haloLeft;
    private final long[] haloRight;

    final int[] core;
    final int[] ext;
    final int[] hl;
    final int[] ts;
    final boolean[] spans;
    final long[] tileOrigin;
    int coreCount;
    int total;
    private long[][] map;

    private final int elementBytes;

    TileGeometry(Plan plan, Source in, long[] outOrigin, int elementBytes) {
        this.elementBytes = elementBytes;
        this.rank = plan.rank();
        this.in = in;
        this.outOrigin = outOrigin.clone();
        this.haloLeft = plan.haloLeft();
        this.haloRight = plan.haloRight();
        core = new int[rank];
        ext = new int[rank];
        hl = new int[rank];
        ts = new int[rank];
        spans = new boolean[rank];
        tileOrigin = new long[rank];
        map = new long[rank][];
    }

    /** Lays the tile out for {@code chunk} (output coordinates). */
    void set(Chunk chunk) {
        long t = 1;
        long cc = 1;
        for (int a = 0; a < rank; a++) {
            core[a] = (int) (chunk.hi(a) - chunk.lo(a));
            spans[a] = outOrigin[a] + chunk.lo(a) == 0 && outOrigin[a] + chunk.hi(a) == in.shape(a);
            hl[a] = spans[a] ? 0 : (int) haloLeft[a];
            int hr = spans[a] ? 0 : (int) haloRight[a];
            ext[a] = Math.toIntExact(core[a] + hl[a] + (long) hr);
            tileOrigin[a] = outOrigin[a] + chunk.lo(a) - hl[a];
            cc *= core[a];
            t *= ext[a];
        }
        if (t > Integer.MAX_VALUE / 2) {
            throw new IllegalStateException("tile of " + t + " elements is too large; use smaller chunks");
        }
        coreCount = (int) cc;
        // Pad every outer stride to an odd number of cache lines: rows a multiple of 4 KiB apart
        // fall in the same L1 set, and a pass that reads 25 of them would thrash its ways.
        int line = Math.max(1, 64 / elementBytes);
        long s = 1;
        for (int a = rank - 1; a >= 0; a--) {
            if (a < rank - 1 && s >= 4096 / elementBytes) {
                s = (s + line - 1) / line * line;
                if ((s / line) % 2 == 0) {
                    s += line;
                }
            }
            ts[a] = Math.toIntExact(s);
            s *= ext[a];
        }
        total = Math.toIntExact(s);
    }

    /** The region a term starts from: the core plus the term's own reach on non-spanning axes. */
    void initRegion(Term term, int[] vlo, int[] vhi) {
        for (int a = 0; a < rank; a++) {
            vlo[a] = spans[a] ? 0 : hl[a] - term.left(a);
            vhi[a] = spans[a] ? core[a] : hl[a] + core[a] + term.right(a);
        }
    }

    /** The core's box inside the tile. */
    void coreBox(int[] lo, int[] hi) {
        for (int a = 0; a < rank; a++) {
            lo[a] = hl[a];
            hi[a] = hl[a] + core[a];
        }
    }

    /** Tile offset of the start of core row {@code r} (rows counted in C order over the core). */
    int coreRowBase(int r) {
        int base = hl[rank - 1];
        for (int a = rank - 2; a >= 0; a--) {
            base += (hl[a] + r % core[a]) * ts[a];
            r /= core[a];
        }
        return base;
    }

    /** Receives the rows of a gather: runs of the input by their first element's coordinates. */
    interface GatherSink {
        void fill(int base, int len, double value);

        void readRun(long[] at, int count, int base);
    }

    /** Gathers the region [vlo, vhi) from the input, extended by the term's modes, row by row. */
    void gather(Term term, int[] vlo, int[] vhi, double cval, GatherSink sink) {
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
        int inLo = (int) Math.max(0, Math.min(rowLen, -(tileOrigin[last] + vlo[last])));
        int inHi = (int) Math.max(inLo, Math.min(rowLen, in.shape(last) - tileOrigin[last] - vlo[last]));
        int[] idx = new int[rank];
        int[] zeros = new int[rank];
        int[] extent = new int[rank];
        for (int a = 0; a < rank; a++) {
            extent[a] = vhi[a] - vlo[a];
        }
        long[] lastMap = map[last];
        long[] at = new long[rank];
        while (true) {
            int base = vlo[last] * ts[last];
            boolean constant = false;
            for (int a = 0; a < last; a++) {
                base += (vlo[a] + idx[a]) * ts[a];
                long m = map[a][idx[a]];
                constant |= m < 0;
                at[a] = m;
            }
            if (constant) {
                sink.fill(base, rowLen, cval);
            } else {
                for (int c = 0; c < inLo; c++) {
                    readOrFill(sink, at, lastMap[c], base + c, cval);
                }
                if (inHi > inLo) {
                    at[last] = lastMap[inLo];
                    sink.readRun(at, inHi - inLo, base + inLo);
                }
                for (int c = inHi; c < rowLen; c++) {
                    readOrFill(sink, at, lastMap[c], base + c, cval);
                }
            }
            if (!next(idx, zeros, extent, last)) {
                return;
            }
        }
    }

    /**
     * Steps {@code idx} to the next index of the box {@code [lo, hi)} over its first {@code axes}
     * axes in C order; false when the box is done.
     */
    static boolean next(int[] idx, int[] lo, int[] hi, int axes) {
        for (int a = axes - 1; a >= 0; a--) {
            if (++idx[a] < hi[a]) {
                return true;
            }
            idx[a] = lo[a];
        }
        return false;
    }

    private void readOrFill(GatherSink sink, long[] at, long m, int pos, double cval) {
        if (m < 0) {
            sink.fill(pos, 1, cval);
        } else {
            at[rank - 1] = m;
            sink.readRun(at, 1, pos);
        }
    }

    interface RowAction {
        void row(int base, int len);
    }

    /** One bundle of a strided pass: the offsets of its source rows, and where its first row starts. */
    interface BundleAction {
        void bundle(int[] rowOffsets, int line0);
    }

    /**
     * The bundles of a pass along the outer axis {@code axis} over the region {@code [vlo, vhi)}: the
     * rows along the axis at fixed indices of the other outer axes, one call each, with the offsets
     * of its source rows ({@code src} from {@link #passSources}; -1 reads the row at {@code cvalRow})
     * in {@code offsets}, grown when too short. Returns the array in use, for the caller to keep.
     */
    int[] forEachBundle(int axis, int[] vlo, int[] vhi, int[] src, int cvalRow, int[] offsets, BundleAction action) {
        int last = rank - 1;
        int step = ts[axis];
        int[] rowOffsets = offsets.length < src.length ? new int[src.length] : offsets;
        int[] lo = vlo.clone();
        int[] hi = vhi.clone();
        hi[axis] = lo[axis] + 1;
        hi[last] = lo[last] + 1;
        forEachRow(lo, hi, (rowBase, ignored) -> {
            int line0 = rowBase - vlo[axis] * step;
            for (int i = 0; i < src.length; i++) {
                int m = src[i];
                rowOffsets[i] = m < 0 ? cvalRow : line0 + m * step;
            }
            action.bundle(rowOffsets, line0);
        });
        return rowOffsets;
    }

    /** Calls {@code action} for each C-order row (last axis) of the box [lo, hi) of the tile. */
    void forEachRow(int[] lo, int[] hi, RowAction action) {
        int last = rank - 1;
        int len = hi[last] - lo[last];
        if (len <= 0) {
            return;
        }
        for (int a = 0; a < last; a++) {
            if (hi[a] <= lo[a]) {
                return;
            }
        }
        int[] idx = lo.clone();
        while (true) {
            int base = 0;
            for (int a = 0; a < rank; a++) {
                base += idx[a] * ts[a];
            }
            action.row(base, len);
            if (!next(idx, lo, hi, last)) {
                return;
            }
        }
    }

    /**
     * Output rows of the chunk, in C order: the coordinates of each row's first element in the output
     * (one array, reused from row to row).
     */
    static void forEachOutputRow(Sink out, Chunk chunk, Consumer<long[]> rowStart) {
        int rank = out.rank();
        int last = rank - 1;
        long[] lo = chunk.lo();
        long[] hi = chunk.hi();
        int[] idx = new int[rank];
        int[] zeros = new int[rank];
        int[] extent = new int[rank];
        for (int a = 0; a < rank; a++) {
            extent[a] = (int) (hi[a] - lo[a]);
        }
        long[] at = new long[rank];
        while (true) {
            for (int a = 0; a < last; a++) {
                at[a] = lo[a] + idx[a];
            }
            at[last] = lo[last];
            rowStart.accept(at);
            if (!next(idx, zeros, extent, last)) {
                return;
            }
        }
    }

    /**
     * Where each position of a pass's input line comes from: for a spanning axis, the line extended
     * by the mode ({@code left + len + right} positions); otherwise the stored positions
     * {@code vlo..vhi}. A value of -1 means cval.
     */
    int[] passSources(int axis, BoundaryMode mode, int left, int right, int vlo, int vhi) {
        int len = vhi - vlo;
        if (spans[axis]) {
            int[] m = new int[left + len + right];
            for (int i = 0; i < m.length; i++) {
                m[i] = (int) mode.map(i - left, len);
            }
            return m;
        }
        int[] m = new int[len];
        long n = in.shape(axis);
        for (int i = 0; i < len; i++) {
            long g = tileOrigin[axis] + vlo + i;
            m[i] = mode == BoundaryMode.CONSTANT && (g < 0 || g >= n) ? -1 : vlo + i;
        }
        return m;
    }
}
