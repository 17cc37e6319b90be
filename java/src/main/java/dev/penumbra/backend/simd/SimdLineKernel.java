package dev.penumbra.backend.simd;

import dev.penumbra.backend.LineKernel;
import dev.penumbra.filter.Kernel1D;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API line kernel: the scalar reference's folding, a vector of outputs at a time with fused
 * multiply-adds — or, in the {@link #roundedProducts} instance, each product rounded and then added,
 * the scalar reference's bits. The scalar tail repeats the vector lanes' operations exactly (the
 * same operations in the same order), so an output has the same bits whether a vector or the tail
 * computed it.
 *
 * <p>This is one of the few classes that import the incubator module; it is only loaded through
 * {@link dev.penumbra.backend.Backends} when the module is present.
 */
public final class SimdLineKernel implements LineKernel {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final SimdLineKernel ROUNDED = new SimdLineKernel(true);

    /** Products rounded before they are added (scipy's operations), else fused multiply-adds. */
    private final boolean rounded;

    public SimdLineKernel() {
        this(false);
    }

    private SimdLineKernel(boolean rounded) {
        this.rounded = rounded;
    }

    @Override
    public LineKernel roundedProducts() {
        return ROUNDED;
    }

    /** x * w + a, fused or (rounded) as two roundings. */
    private static DoubleVector madd(DoubleVector x, DoubleVector w, DoubleVector a, boolean rounded) {
        return rounded ? x.mul(w).add(a) : x.fma(w, a);
    }

    private static double madd(double x, double w, double a, boolean rounded) {
        return rounded ? a + x * w : Math.fma(x, w, a);
    }

    @Override
    public String name() {
        return "simd";
    }

    /** Lanes per vector on this CPU (e.g. 4 with AVX2, 8 with AVX-512). */
    public static int lanes() {
        return S.length();
    }

    @Override
    public void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int size = w.length;
        int c = kernel.center();
        int bound = S.loopBound(n);
        switch (kernel.symmetry()) {
            case SYMMETRIC, ANTISYMMETRIC -> {
                boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
                DoubleVector wc = DoubleVector.broadcast(S, w[c]);
                int i = 0;
                for (; i < bound; i += S.length()) {
                    int m = srcPos + i + c;
                    DoubleVector acc = DoubleVector.fromArray(S, src, m).mul(wc);
                    for (int j = c; j >= 1; j--) {
                        DoubleVector a = DoubleVector.fromArray(S, src, m - j);
                        DoubleVector b = DoubleVector.fromArray(S, src, m + j);
                        acc = madd(anti ? a.sub(b) : a.add(b), DoubleVector.broadcast(S, w[c - j]), acc, rounded);
                    }
                    acc.intoArray(dst, dstPos + i);
                }
                for (; i < n; i++) {
                    int m = srcPos + i + c;
                    double acc = src[m] * w[c];
                    for (int j = c; j >= 1; j--) {
                        double pair = anti ? src[m - j] - src[m + j] : src[m - j] + src[m + j];
                        acc = madd(pair, w[c - j], acc, rounded);
                    }
                    dst[dstPos + i] = acc;
                }
            }
            case NONE -> {
                int i = 0;
                for (; i < bound; i += S.length()) {
                    int s = srcPos + i;
                    DoubleVector acc = DoubleVector.fromArray(S, src, s + size - 1).mul(w[size - 1]);
                    for (int k = 0; k < size - 1; k++) {
                        acc = madd(DoubleVector.fromArray(S, src, s + k), DoubleVector.broadcast(S, w[k]), acc, rounded);
                    }
                    acc.intoArray(dst, dstPos + i);
                }
                for (; i < n; i++) {
                    int s = srcPos + i;
                    double acc = src[s + size - 1] * w[size - 1];
                    for (int k = 0; k < size - 1; k++) {
                        acc = madd(src[s + k], w[k], acc, rounded);
                    }
                    dst[dstPos + i] = acc;
                }
            }
        }
    }

    @Override
    public boolean hasRows() {
        return true;
    }

    @Override
    public void rows(double[] src, int[] rowOffset, int nOut, int width, double[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int size = w.length;
        int c = kernel.center();
        boolean folded = kernel.symmetry() != Kernel1D.Symmetry.NONE;
        boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
        int bound = S.loopBound(width);
        for (int o = 0; o < nOut; o++) {
            int d = dstPos + o * dstStride;
            int x = 0;
            if (folded) {
                int mid = rowOffset[o + c];
                DoubleVector wc = DoubleVector.broadcast(S, w[c]);
                for (; x < bound; x += S.length()) {
                    DoubleVector acc = DoubleVector.fromArray(S, src, mid + x).mul(wc);
                    for (int j = c; j >= 1; j--) {
                        DoubleVector a = DoubleVector.fromArray(S, src, rowOffset[o + c - j] + x);
                        DoubleVector b = DoubleVector.fromArray(S, src, rowOffset[o + c + j] + x);
                        acc = madd(anti ? a.sub(b) : a.add(b), DoubleVector.broadcast(S, w[c - j]), acc, rounded);
                    }
                    acc.intoArray(dst, d + x);
                }
                for (; x < width; x++) {
                    double acc = src[mid + x] * w[c];
                    for (int j = c; j >= 1; j--) {
                        double l = src[rowOffset[o + c - j] + x];
                        double r = src[rowOffset[o + c + j] + x];
                        acc = madd(anti ? l - r : l + r, w[c - j], acc, rounded);
                    }
                    dst[d + x] = acc;
                }
            } else {
                int lastRow = rowOffset[o + size - 1];
                for (; x < bound; x += S.length()) {
                    DoubleVector acc = DoubleVector.fromArray(S, src, lastRow + x).mul(w[size - 1]);
                    for (int k = 0; k < size - 1; k++) {
                        acc = madd(DoubleVector.fromArray(S, src, rowOffset[o + k] + x),
                                DoubleVector.broadcast(S, w[k]), acc, rounded);
                    }
                    acc.intoArray(dst, d + x);
                }
                for (; x < width; x++) {
                    double acc = src[lastRow + x] * w[size - 1];
                    for (int k = 0; k < size - 1; k++) {
                        acc = madd(src[rowOffset[o + k] + x], w[k], acc, rounded);
                    }
                    dst[d + x] = acc;
                }
            }
        }
    }
}
