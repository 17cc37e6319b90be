package dev.penumbra.backend.simd;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.filter.Kernel1D;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The double path for float32 outputs, on float storage: each output summed in double exactly as
 * {@link SimdLineKernel#correlate} sums it (the centre product, then fused multiply-adds of the
 * folded pairs from the outermost in), from float values widened as they are loaded, and rounded to
 * float once when stored. scipy rounds every pass to the output dtype, so these are the bits of
 * correlate followed by that cast, with half the memory traffic. Four vectors of outputs are in
 * flight per step (independent chains hide the fma latency); the scalar tails repeat the lanes'
 * operations with Math.fma.
 */
public final class SimdExactKernel implements FloatTileKernel {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class,
            VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int L = D.length();
    private static final int U = 4;

    @Override
    public String name() {
        return "simd";
    }

    private static DoubleVector load(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(F, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    private static void store(DoubleVector v, float[] a, int i) {
        ((FloatVector) v.convertShape(VectorOperators.D2F, F, 0)).intoArray(a, i);
    }

    @Override
    public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int size = w.length;
        int c = kernel.center();
        int i = 0;
        if (kernel.symmetry() == Kernel1D.Symmetry.NONE) {
            for (; i + U * L <= n; i += U * L) {
                int s = srcPos + i;
                DoubleVector a0 = load(src, s + size - 1).mul(w[size - 1]);
                DoubleVector a1 = load(src, s + L + size - 1).mul(w[size - 1]);
                DoubleVector a2 = load(src, s + 2 * L + size - 1).mul(w[size - 1]);
                DoubleVector a3 = load(src, s + 3 * L + size - 1).mul(w[size - 1]);
                for (int k = 0; k < size - 1; k++) {
                    DoubleVector wk = DoubleVector.broadcast(D, w[k]);
                    a0 = load(src, s + k).fma(wk, a0);
                    a1 = load(src, s + L + k).fma(wk, a1);
                    a2 = load(src, s + 2 * L + k).fma(wk, a2);
                    a3 = load(src, s + 3 * L + k).fma(wk, a3);
                }
                store(a0, dst, dstPos + i);
                store(a1, dst, dstPos + i + L);
                store(a2, dst, dstPos + i + 2 * L);
                store(a3, dst, dstPos + i + 3 * L);
            }
            for (; i < n; i++) {
                int s = srcPos + i;
                double acc = src[s + size - 1] * w[size - 1];
                for (int k = 0; k < size - 1; k++) {
                    acc = Math.fma(src[s + k], w[k], acc);
                }
                dst[dstPos + i] = (float) acc;
            }
            return;
        }
        boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
        DoubleVector wc = DoubleVector.broadcast(D, w[c]);
        for (; i + U * L <= n; i += U * L) {
            int m = srcPos + i + c;
            DoubleVector a0 = load(src, m).mul(wc);
            DoubleVector a1 = load(src, m + L).mul(wc);
            DoubleVector a2 = load(src, m + 2 * L).mul(wc);
            DoubleVector a3 = load(src, m + 3 * L).mul(wc);
            for (int j = c; j >= 1; j--) {
                DoubleVector wj = DoubleVector.broadcast(D, w[c - j]);
                a0 = pair(src, m - j, m + j, anti).fma(wj, a0);
                a1 = pair(src, m + L - j, m + L + j, anti).fma(wj, a1);
                a2 = pair(src, m + 2 * L - j, m + 2 * L + j, anti).fma(wj, a2);
                a3 = pair(src, m + 3 * L - j, m + 3 * L + j, anti).fma(wj, a3);
            }
            store(a0, dst, dstPos + i);
            store(a1, dst, dstPos + i + L);
            store(a2, dst, dstPos + i + 2 * L);
            store(a3, dst, dstPos + i + 3 * L);
        }
        for (; i < n; i++) {
            int m = srcPos + i + c;
            double acc = src[m] * w[c];
            for (int j = c; j >= 1; j--) {
                double l = src[m - j];
                double r = src[m + j];
                acc = Math.fma(anti ? l - r : l + r, w[c - j], acc);
            }
            dst[dstPos + i] = (float) acc;
        }
    }

    private static DoubleVector pair(float[] a, int l, int r, boolean anti) {
        DoubleVector x = load(a, l);
        DoubleVector y = load(a, r);
        return anti ? x.sub(y) : x.add(y);
    }

    @Override
    public void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int size = w.length;
        int c = kernel.center();
        boolean folded = kernel.symmetry() != Kernel1D.Symmetry.NONE;
        boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
        DoubleVector wc = DoubleVector.broadcast(D, w[folded ? c : size - 1]);
        for (int o = 0; o < nOut; o++) {
            int d = dstPos + o * dstStride;
            int x = 0;
            for (; x + U * L <= width; x += U * L) {
                int first = rowOffset[o + (folded ? c : size - 1)] + x;
                DoubleVector a0 = load(src, first).mul(wc);
                DoubleVector a1 = load(src, first + L).mul(wc);
                DoubleVector a2 = load(src, first + 2 * L).mul(wc);
                DoubleVector a3 = load(src, first + 3 * L).mul(wc);
                if (folded) {
                    for (int j = c; j >= 1; j--) {
                        DoubleVector wj = DoubleVector.broadcast(D, w[c - j]);
                        int l = rowOffset[o + c - j] + x;
                        int r = rowOffset[o + c + j] + x;
                        a0 = pair(src, l, r, anti).fma(wj, a0);
                        a1 = pair(src, l + L, r + L, anti).fma(wj, a1);
                        a2 = pair(src, l + 2 * L, r + 2 * L, anti).fma(wj, a2);
                        a3 = pair(src, l + 3 * L, r + 3 * L, anti).fma(wj, a3);
                    }
                } else {
                    for (int k = 0; k < size - 1; k++) {
                        DoubleVector wk = DoubleVector.broadcast(D, w[k]);
                        int r = rowOffset[o + k] + x;
                        a0 = load(src, r).fma(wk, a0);
                        a1 = load(src, r + L).fma(wk, a1);
                        a2 = load(src, r + 2 * L).fma(wk, a2);
                        a3 = load(src, r + 3 * L).fma(wk, a3);
                    }
                }
                store(a0, dst, d + x);
                store(a1, dst, d + x + L);
                store(a2, dst, d + x + 2 * L);
                store(a3, dst, d + x + 3 * L);
            }
            for (; x < width; x++) {
                double acc;
                if (folded) {
                    acc = src[rowOffset[o + c] + x] * w[c];
                    for (int j = c; j >= 1; j--) {
                        double l = src[rowOffset[o + c - j] + x];
                        double r = src[rowOffset[o + c + j] + x];
                        acc = Math.fma(anti ? l - r : l + r, w[c - j], acc);
                    }
                } else {
                    acc = src[rowOffset[o + size - 1] + x] * w[size - 1];
                    for (int k = 0; k < size - 1; k++) {
                        acc = Math.fma(src[rowOffset[o + k] + x], w[k], acc);
                    }
                }
                dst[d + x] = (float) acc;
            }
        }
    }
}
