package dev.penumbra.backend;

import dev.penumbra.filter.Kernel1D;

/**
 * The float32 fast path's kernels, working on a tile in scratch (never on mapped memory) and
 * accumulating in float. Two shapes of work:
 * <ul>
 * <li>{@link #line}: a contiguous line, as {@link LineKernel} but in float;</li>
 * <li>{@link #rows}: a pass along a strided axis, vectorised across the contiguous axis — output
 * row {@code o} is {@code sum_t w[t] * row(o + t)}, where {@code row(j)} is the {@code width}
 * floats at {@code src[rowOffset[j]]} — so a bundle of lines is filtered with plain vector loads,
 * never element gathers.</li>
 * </ul>
 * Each output is computed by the same operations wherever it sits, so chunking never changes a
 * bit. The float result stays within 1e-5·max(1,|ref|) of scipy's double accumulation for data of
 * moderate dynamic range (the error is of the order of taps · 2^-24 · sum |w·x|).
 */
public interface FloatTileKernel extends Widening {
    String name();

    void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel);

    void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
              Kernel1D kernel);

    /**
     * Folds the smallest and largest of {@code a[from..from+n)} into {@code acc} = {min, max}; NaN
     * anywhere makes both NaN (Math.min/max semantics).
     */
    default void range(float[] a, int from, int n, float[] acc) {
        float lo = acc[0];
        float hi = acc[1];
        for (int i = from; i < from + n; i++) {
            lo = Math.min(lo, a[i]);
            hi = Math.max(hi, a[i]);
        }
        acc[0] = lo;
        acc[1] = hi;
    }

    /**
     * Folds {@code n} values of a compound filter's term at {@code b[s]} into {@code acc[a]} as scipy
     * folds terms in a float32 output: the first copied ({@code hypot}: squared), each next added
     * (its square added), the last HYPOT term's sum square-rooted; {@code b == acc, s == a} allowed.
     */
    default void fold(float[] b, int s, float[] acc, int a, int n, boolean first, boolean last, boolean hypot) {
        if (hypot) {
            for (int i = 0; i < n; i++) {
                float v = b[s + i];
                float sq = v * v;
                float x = first ? sq : acc[a + i] + sq;
                acc[a + i] = last ? (float) Math.sqrt(x) : x;
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
