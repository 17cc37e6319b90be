package dev.penumbra.backend;

import dev.penumbra.filter.Kernel1D;

/**
 * The reference backend: double accumulation in the order {@code NI_Correlate1D} uses — centre tap
 * first, then folded pairs from the outermost in for (anti)symmetric kernels; otherwise the last
 * tap first and then the others from the first.
 */
public final class ScalarLineKernel implements LineKernel {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int size = w.length;
        int c = kernel.center();
        switch (kernel.symmetry()) {
            case SYMMETRIC -> {
                for (int i = 0; i < n; i++) {
                    int m = srcPos + i + c;
                    double acc = src[m] * w[c];
                    for (int j = c; j >= 1; j--) {
                        acc += (src[m - j] + src[m + j]) * w[c - j];
                    }
                    dst[dstPos + i] = acc;
                }
            }
            case ANTISYMMETRIC -> {
                for (int i = 0; i < n; i++) {
                    int m = srcPos + i + c;
                    double acc = src[m] * w[c];
                    for (int j = c; j >= 1; j--) {
                        acc += (src[m - j] - src[m + j]) * w[c - j];
                    }
                    dst[dstPos + i] = acc;
                }
            }
            case NONE -> {
                for (int i = 0; i < n; i++) {
                    int s = srcPos + i;
                    double acc = src[s + size - 1] * w[size - 1];
                    for (int k = 0; k < size - 1; k++) {
                        acc += src[s + k] * w[k];
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
        for (int o = 0; o < nOut; o++) {
            int d = dstPos + o * dstStride;
            for (int x = 0; x < width; x++) {
                double acc;
                if (folded) {
                    acc = src[rowOffset[o + c] + x] * w[c];
                    for (int j = c; j >= 1; j--) {
                        double l = src[rowOffset[o + c - j] + x];
                        double r = src[rowOffset[o + c + j] + x];
                        acc += (anti ? l - r : l + r) * w[c - j];
                    }
                } else {
                    acc = src[rowOffset[o + size - 1] + x] * w[size - 1];
                    for (int k = 0; k < size - 1; k++) {
                        acc += src[rowOffset[o + k] + x] * w[k];
                    }
                }
                dst[d + x] = acc;
            }
        }
    }
}
