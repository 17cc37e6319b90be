package dev.penumbra.backend;

import dev.penumbra.filter.Kernel1D;
import dev.penumbra.volume.DType;

/**
 * The per-line math, apart from iteration and threading (ImgLib2's line convolver idea): correlate
 * a contiguous, already boundary-extended line buffer with a 1-D kernel.
 *
 * <p>Contract: {@code dst[dstPos + i] = sum_k w[k] * src[srcPos + i + k]} for {@code i < n} and
 * {@code k < kernel.size()}, where {@code src} holds {@code n + size - 1} readable values from
 * {@code srcPos}. Each output must be computed by the same operations wherever it sits in the
 * buffer, so that any chunking gives the same bytes.
 */
public interface LineKernel extends Widening {
    /** Short name as used by {@code --backend}. */
    String name();

    void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel);

    /** True when {@link #rows} is implemented: each of its outputs has the bits correlate gives it. */
    default boolean hasRows() {
        return false;
    }

    /**
     * A pass along a strided axis, vectorised across the contiguous axis: output row {@code o}
     * ({@code o < nOut}, at {@code dst[dstPos + o * dstStride]}) is {@code sum_t w[t] * row(o + t)},
     * where {@code row(j)} is the {@code width} values at {@code src[rowOffset[j]]} — every output
     * computed by the operations {@link #correlate} uses for it, so a column of rows has the bits of
     * the same column correlated as a line.
     */
    default void rows(double[] src, int[] rowOffset, int nOut, int width, double[] dst, int dstPos, int dstStride,
                      Kernel1D kernel) {
        throw new UnsupportedOperationException(name() + " has no row kernel in double");
    }

    /**
     * This backend's kernel with scipy's own operations: every product rounded to double and then
     * added, in scipy's order (the centre or last tap first, then from the outermost in), where this
     * one may fuse multiply-adds. An integer output's truncation toward zero shows the last bit of a
     * sum (a smoothed constant of 7 that sums to 6.999999999999999 stores 6), so integer outputs take
     * this kernel; float outputs keep the faster one, whose results differ by rounding only.
     */
    default LineKernel roundedProducts() {
        return this;
    }

    /**
     * Replaces {@code n} values at {@code a[from]} by what an output of integer type {@code t}
     * stores for them ({@link DType#castLikeC}: scipy keeps each pass in the output array).
     */
    default void castTo(DType t, double[] a, int from, int n) {
        for (int i = from, e = from + n; i < e; i++) {
            a[i] = t.castLikeC(a[i]);
        }
    }

    /** As {@link FloatTileKernel#fold}, in double (a float64 output). */
    default void fold(double[] b, int s, double[] acc, int a, int n, boolean first, boolean last, boolean hypot) {
        if (hypot) {
            for (int i = 0; i < n; i++) {
                double v = b[s + i];
                double sq = v * v;
                double x = first ? sq : acc[a + i] + sq;
                acc[a + i] = last ? Math.sqrt(x) : x;
            }
        } else if (first) {
            if (b != acc || s != a) {
                System.arraycopy(b, s, acc, a, n);
            }
        } else {
            for (int i = 0; i < n; i++) {
                acc[a + i] = acc[a + i] + b[s + i];
            }
        }
    }
}
