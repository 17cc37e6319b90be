package dev.penumbra.backend;

import dev.penumbra.filter.Kernel1D;

/**
 * The scalar reference's double path for float32 outputs on float storage: each output is summed
 * in double exactly as {@link ScalarLineKernel#correlate} sums it (scipy's order, no fused
 * multiply-adds) from the float values, and rounded to float once — the bits of correlate followed
 * by the cast to the output dtype that scipy makes after every pass.
 */
final class ScalarExactKernel implements FloatTileKernel {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int c = kernel.center();
        int size = w.length;
        for (int i = 0; i < n; i++) {
            dst[dstPos + i] = switch (kernel.symmetry()) {
                case SYMMETRIC, ANTISYMMETRIC -> {
                    boolean anti = kernel.symmetry() == Kernel1D.Symmetry.ANTISYMMETRIC;
                    int m = srcPos + i + c;
                    double acc = src[m] * w[c];
                    for (int j = c; j >= 1; j--) {
                        double l = src[m - j];
                        double r = src[m + j];
                        acc += (anti ? l - r : l + r) * w[c - j];
                    }
                    yield (float) acc;
                }
                case NONE -> {
                    int s = srcPos + i;
                    double acc = src[s + size - 1] * w[size - 1];
                    for (int k = 0; k < size - 1; k++) {
                        acc += src[s + k] * w[k];
                    }
                    yield (float) acc;
                }
            };
        }
    }

    @Override
    public void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int c = kernel.center();
        int size = w.length;
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
                dst[d + x] = (float) acc;
            }
        }
    }
}
