package dev.penumbra.backend.simd;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.filter.Kernel1D;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API float32 tile kernels. Folded (anti)symmetric kernels add the mirrored pair first and
 * then fuse the multiply-add, inner taps first: {@code acc = x[c]*w[c]; acc = fma(x[c-j] ± x[c+j],
 * w[c-j], acc)} for j = 1..c. The strided pass computes two output rows at once so that each
 * loaded row serves both (13 loads per output instead of 25 for 25 taps) and two vectors across
 * the row, for four independent accumulators. Scalar tails repeat the lanes' operations with
 * Math.fma, so every output has the same bits whichever loop computed it.
 */
public final class SimdFloatTileKernel implements FloatTileKernel {
    private static final VectorSpecies<Float> S = species();
    private static final int V = S.length();

    /** The widest vectors the CPU has, unless -Dpenumbra.simd.bits=128|256|512 asks for narrower. */
    private static VectorSpecies<Float> species() {
        String bits = System.getProperty("penumbra.simd.bits");
        if (bits != null) {
            VectorSpecies<Float> s = VectorSpecies.of(float.class, VectorShape.forBitSize(
                    Integer.parseInt(bits.trim())));
            if (s.vectorBitSize() <= FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
                return s;
            }
        }
        return FloatVector.SPECIES_PREFERRED;
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public void range(float[] a, int from, int n, float[] acc) {
        FloatVector lo = FloatVector.broadcast(S, acc[0]);
        FloatVector hi = FloatVector.broadcast(S, acc[1]);
        int i = from;
        int end = from + n;
        for (; i <= end - V; i += V) {
            FloatVector x = FloatVector.fromArray(S, a, i);
            lo = lo.min(x);
            hi = hi.max(x);
        }
        float l = lo.reduceLanes(VectorOperators.MIN);
        float h = hi.reduceLanes(VectorOperators.MAX);
        for (; i < end; i++) {
            l = Math.min(l, a[i]);
            h = Math.max(h, a[i]);
        }
        acc[0] = l;
        acc[1] = h;
    }

    /** Lanes per vector on this CPU (8 with AVX2, 16 with AVX-512). */
    public static int lanes() {
        return V;
    }

    @Override
    public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
        float[] w = kernel.weightArrayF();
        int c = kernel.center();
        if (kernel.symmetry() == Kernel1D.Symmetry.NONE) {
            lineGeneral(src, srcPos, dst, dstPos, n, w);
            return;
        }
        boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
        float wc = w[c];
        int i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            int m = srcPos + i + c;
            FloatVector a0 = FloatVector.fromArray(S, src, m).mul(wc);
            FloatVector a1 = FloatVector.fromArray(S, src, m + V).mul(wc);
            for (int j = 1; j <= c; j++) {
                FloatVector wj = FloatVector.broadcast(S, w[c - j]);
                FloatVector l0 = FloatVector.fromArray(S, src, m - j);
                FloatVector r0 = FloatVector.fromArray(S, src, m + j);
                FloatVector l1 = FloatVector.fromArray(S, src, m + V - j);
                FloatVector r1 = FloatVector.fromArray(S, src, m + V + j);
                a0 = (anti ? l0.sub(r0) : l0.add(r0)).fma(wj, a0);
                a1 = (anti ? l1.sub(r1) : l1.add(r1)).fma(wj, a1);
            }
            a0.intoArray(dst, dstPos + i);
            a1.intoArray(dst, dstPos + i + V);
        }
        for (; i + V <= n; i += V) {
            int m = srcPos + i + c;
            FloatVector a0 = FloatVector.fromArray(S, src, m).mul(wc);
            for (int j = 1; j <= c; j++) {
                FloatVector l0 = FloatVector.fromArray(S, src, m - j);
                FloatVector r0 = FloatVector.fromArray(S, src, m + j);
                a0 = (anti ? l0.sub(r0) : l0.add(r0)).fma(FloatVector.broadcast(S, w[c - j]), a0);
            }
            a0.intoArray(dst, dstPos + i);
        }
        for (; i < n; i++) {
            int m = srcPos + i + c;
            float acc = src[m] * wc;
            for (int j = 1; j <= c; j++) {
                acc = Math.fma(anti ? src[m - j] - src[m + j] : src[m - j] + src[m + j], w[c - j], acc);
            }
            dst[dstPos + i] = acc;
        }
    }

    private static void lineGeneral(float[] src, int srcPos, float[] dst, int dstPos, int n, float[] w) {
        int size = w.length;
        int i = 0;
        for (; i + V <= n; i += V) {
            int s = srcPos + i;
            FloatVector acc = FloatVector.fromArray(S, src, s + size - 1).mul(w[size - 1]);
            for (int t = 0; t < size - 1; t++) {
                acc = FloatVector.fromArray(S, src, s + t).fma(FloatVector.broadcast(S, w[t]), acc);
            }
            acc.intoArray(dst, dstPos + i);
        }
        for (; i < n; i++) {
            int s = srcPos + i;
            float acc = src[s + size - 1] * w[size - 1];
            for (int t = 0; t < size - 1; t++) {
                acc = Math.fma(src[s + t], w[t], acc);
            }
            dst[dstPos + i] = acc;
        }
    }

    @Override
    public void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        float[] w = kernel.weightArrayF();
        if (kernel.symmetry() == Kernel1D.Symmetry.NONE) {
            for (int o = 0; o < nOut; o++) {
                rowsGeneral(src, rowOffset, o, width, dst, dstPos + o * dstStride, w);
            }
            return;
        }
        boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
        int o = 0;
        for (; o + 2 <= nOut; o += 2) {
            rowPair(src, rowOffset, o, width, dst, dstPos + o * dstStride, dstPos + (o + 1) * dstStride, w,
                    kernel.center(), anti);
        }
        if (o < nOut) {
            rowSingle(src, rowOffset, o, width, dst, dstPos + o * dstStride, w, kernel.center(), anti);
        }
    }

    /** Output rows o and o+1 together: rows o+c-j serve o, and one step later o+1. */
    private static void rowPair(float[] src, int[] ro, int o, int width, float[] dst, int d0, int d1, float[] w,
                                int c, boolean anti) {
        float wc = w[c];
        int x = 0;
        for (; x + V <= width; x += V) {
            FloatVector c0 = FloatVector.fromArray(S, src, ro[o + c] + x);
            FloatVector c1 = FloatVector.fromArray(S, src, ro[o + c + 1] + x);
            FloatVector acc0 = c0.mul(wc);
            FloatVector acc1 = c1.mul(wc);
            FloatVector prevL = c0;
            FloatVector prevR = c1;
            for (int j = 1; j <= c; j++) {
                FloatVector wj = FloatVector.broadcast(S, w[c - j]);
                FloatVector l = FloatVector.fromArray(S, src, ro[o + c - j] + x);
                FloatVector r = FloatVector.fromArray(S, src, ro[o + c + 1 + j] + x);
                acc0 = (anti ? l.sub(prevR) : l.add(prevR)).fma(wj, acc0);
                acc1 = (anti ? prevL.sub(r) : prevL.add(r)).fma(wj, acc1);
                prevL = l;
                prevR = r;
            }
            acc0.intoArray(dst, d0 + x);
            acc1.intoArray(dst, d1 + x);
        }
        for (; x < width; x++) {
            dst[d0 + x] = foldScalar(src, ro, o, x, w, c, anti);
            dst[d1 + x] = foldScalar(src, ro, o + 1, x, w, c, anti);
        }
    }

    private static void rowSingle(float[] src, int[] ro, int o, int width, float[] dst, int d0, float[] w, int c,
                                  boolean anti) {
        float wc = w[c];
        int x = 0;
        for (; x + V <= width; x += V) {
            FloatVector acc = FloatVector.fromArray(S, src, ro[o + c] + x).mul(wc);
            for (int j = 1; j <= c; j++) {
                FloatVector l = FloatVector.fromArray(S, src, ro[o + c - j] + x);
                FloatVector r = FloatVector.fromArray(S, src, ro[o + c + j] + x);
                acc = (anti ? l.sub(r) : l.add(r)).fma(FloatVector.broadcast(S, w[c - j]), acc);
            }
            acc.intoArray(dst, d0 + x);
        }
        for (; x < width; x++) {
            dst[d0 + x] = foldScalar(src, ro, o, x, w, c, anti);
        }
    }

    private static float foldScalar(float[] src, int[] ro, int o, int x, float[] w, int c, boolean anti) {
        float acc = src[ro[o + c] + x] * w[c];
        for (int j = 1; j <= c; j++) {
            float l = src[ro[o + c - j] + x];
            float r = src[ro[o + c + j] + x];
            acc = Math.fma(anti ? l - r : l + r, w[c - j], acc);
        }
        return acc;
    }

    private static void rowsGeneral(float[] src, int[] ro, int o, int width, float[] dst, int d0, float[] w) {
        int size = w.length;
        int x = 0;
        for (; x + V <= width; x += V) {
            FloatVector acc = FloatVector.fromArray(S, src, ro[o + size - 1] + x).mul(w[size - 1]);
            for (int t = 0; t < size - 1; t++) {
                acc = FloatVector.fromArray(S, src, ro[o + t] + x).fma(FloatVector.broadcast(S, w[t]), acc);
            }
            acc.intoArray(dst, d0 + x);
        }
        for (; x < width; x++) {
            float acc = src[ro[o + size - 1] + x] * w[size - 1];
            for (int t = 0; t < size - 1; t++) {
                acc = Math.fma(src[ro[o + t] + x], w[t], acc);
            }
            dst[d0 + x] = acc;
        }
    }
}
