package dev.penumbra.backend;

import dev.penumbra.filter.Kernel1D;

/**
 * The per-line math, apart from iteration and threading (ImgLib2's line convolver idea): correlate
 * a contiguous, already boundary-extended line buffer with a 1-D kernel.
 *
 * <p>Contract: {@code dst[dstPos + i] = sum_k w[k] * src[srcPos + i + k]} for {@code i < n} and
 * {@code k < kernel.size()}, where {@code src} holds {@code n + size - 1} readable values from
 * {@code srcPos}. Each output must be computed by the same operations wherever it sits in the
 * buffer, so that any chunking gives the same bytes.
 */
public interface LineKernel {
    /** Short name as used by {@code --backend}. */
    String name();

    void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel);
}
