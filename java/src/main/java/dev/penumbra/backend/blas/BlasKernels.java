package dev.penumbra.backend.blas;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.backend.ScalarLineKernel;
import dev.penumbra.filter.Kernel1D;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.bytedeco.openblas.global.openblas;

/**
 * The {@code blas} backend: every axis pass as a GEMM with a banded Toeplitz matrix of the 1-D
 * kernel (built once per kernel and block size, cached per thread), through OpenBLAS's
 * {@code cblas_sgemm}/{@code cblas_dgemm} (JavaCPP's JNI bindings) on off-heap tile scratch.
 * <ul>
 * <li>strided passes ({@link #rows}): blocks of {@value #ROWS_BLOCK} output rows by
 * {@value #COLS_BLOCK} columns, {@code C[8 × 256] = T[8 × (8+size-1)] · A[(8+size-1) × 256]}, A the
 * block's input rows;</li>
 * <li>contiguous passes ({@link #line}, {@link #correlate}): the line cut into segments of B
 * outputs, 8 of them laid side by side ({@code A[s][k] = x[s·B + k]}, overlapping copies), then
 * {@code C[8 × B] = A[8 × (B+size-1)] · T[(B+size-1) × B]}, C being 8·B outputs in order.</li>
 * </ul>
 * The zeros of T make GEMM do wasted work ({@link #usefulShareRows}, {@link #usefulShareLine}),
 * and 0 · ∞ is NaN: outputs GEMM leaves non-finite are recomputed term by term, so NaN and ∞
 * reach exactly the outputs they reach in scipy. Scratch is per thread and tile-sized; the heap
 * arrays of the engine are copied in and out with {@link MemorySegment#copy} (JNI would copy or pin
 * whole arrays). OpenBLAS runs single-threaded: Penumbra's threads are the one level of
 * parallelism ({@link Blas}).
 */
public final class BlasKernels implements FloatTileKernel, LineKernel {
    /** Output rows per GEMM in strided passes. */
    static final int ROWS_BLOCK = 8;

    private static final int ROW_MAJOR = openblas.CblasRowMajor;
    private static final int NO_TRANS = openblas.CblasNoTrans;

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    @Override
    public String name() {
        return "blas";
    }

    /**
     * The inner (K) dimension of every GEMM is padded with zeros to a multiple of this. OpenBLAS's
     * Haswell and Zen sgemm kernels (chosen on Zen 3, and wherever {@code OPENBLAS_CORETYPE=Haswell}
     * is set) sum the last {@code K mod 8} products apart from the others, so when K is not a multiple
     * of 8 an output's bits depend on where its band of taps sits in K — that is, on where its tile
     * starts. Measured for K = 9..47: position-dependent sums for every K with K mod 8 outside {0, 1},
     * none once K is padded to 8 or 16 (Haswell, Zen, Sandybridge, Prescott kernels). 16 also covers
     * kernels that unroll K by 16.
     */
    static final int K_STEP = 16;

    /** {@code k} rounded up to a multiple of {@link #K_STEP}. */
    static int depth(int k) {
        return (k + K_STEP - 1) / K_STEP * K_STEP;
    }

    /** Segment length (outputs per GEMM row) of contiguous passes for a kernel of {@code size} taps. */
    static int segment(int size) {
        return Math.max(16, (size + 15) / 16 * 16);
    }

    /** Share of a strided block's multiply-adds that meet a non-zero weight. */
    public static double usefulShareRows(int size) {
        return (double) size / depth(ROWS_BLOCK + size - 1);
    }

    /** Share of a contiguous pass's multiply-adds that meet a non-zero weight. */
    public static double usefulShareLine(int size) {
        return (double) size / depth(segment(size) + size - 1);
    }

    /** Off-heap scratch of one thread, grown as needed, with the Toeplitz matrices it built. */
    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        MemorySegment a = MemorySegment.NULL;
        MemorySegment c = MemorySegment.NULL;
        FloatBuffer af;
        FloatBuffer cf;
        DoubleBuffer ad;
        DoubleBuffer cd;
        final Map<Kernel1D, Map<Shape, Object>> toeplitz = new IdentityHashMap<>();

        /** Which Toeplitz matrix of a kernel: see {@link #matrix}. */
        private record Shape(int key, boolean dbl) {
        }

        void ensure(long aBytes, long cBytes) {
            if (a.byteSize() < aBytes) {
                a = arena.allocate(Math.max(aBytes, a.byteSize() * 2), 64);
                af = a.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
                ad = a.asByteBuffer().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            }
            if (c.byteSize() < cBytes) {
                c = arena.allocate(Math.max(cBytes, c.byteSize() * 2), 64);
                cf = c.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
                cd = c.asByteBuffer().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            }
        }

        /** T for a kernel: key > 0 strided blocks of {@code key} rows, key < 0 line segments of -key. */
        Object matrix(Kernel1D k, int key, boolean dbl) {
            return toeplitz.computeIfAbsent(k, x -> new HashMap<>())
                    .computeIfAbsent(new Shape(key, dbl), x -> build(k, key, dbl));
        }

        private Object build(Kernel1D k, int key, boolean dbl) {
            int size = k.size();
            int rows;
            int cols;
            if (key > 0) {
                rows = key;                            // T[m × K]: T[i][i + t] = w[t]
                cols = depth(key + size - 1);
            } else {
                rows = depth(-key + size - 1);         // T[K × B]: T[j][b] = w[j - b]
                cols = -key;
            }
            MemorySegment t = arena.allocate((long) rows * cols * (dbl ? 8 : 4), 64);
            double[] w = k.weightArray();
            float[] wf = k.weightArrayF();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    int tap = key > 0 ? j - i : i - j;
                    long at = (long) i * cols + j;
                    if (dbl) {
                        t.setAtIndex(ValueLayout.JAVA_DOUBLE, at, tap >= 0 && tap < size ? w[tap] : 0);
                    } else {
                        t.setAtIndex(ValueLayout.JAVA_FLOAT, at, tap >= 0 && tap < size ? wf[tap] : 0f);
                    }
                }
            }
            return dbl ? t.asByteBuffer().order(ByteOrder.nativeOrder()).asDoubleBuffer()
                    : t.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    /**
     * Every GEMM has the same shape for a kernel — {@value #ROWS_BLOCK} rows, {@value #COLS_BLOCK}
     * columns (or {@value #ROWS_BLOCK} segments of a line), zero-padded — so OpenBLAS takes the
     * same code path for every call and an output's bits do not depend on where a tile or a line
     * starts: chunked runs give whole runs' bytes (OpenBLAS picks other kernels for other sizes).
     */
    static final int COLS_BLOCK = 256;

    @Override
    public void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        int size = kernel.size();
        if (nOut <= 0 || width <= 0) {
            return;
        }
        int k = depth(ROWS_BLOCK + size - 1);
        Scratch s = scratch.get();
        s.ensure((long) k * COLS_BLOCK * 4, (long) ROWS_BLOCK * COLS_BLOCK * 4);
        FloatBuffer t = (FloatBuffer) s.matrix(kernel, ROWS_BLOCK, false);
        for (int o0 = 0; o0 < nOut; o0 += ROWS_BLOCK) {
            int m = Math.min(ROWS_BLOCK, nOut - o0);
            int rows = m + size - 1;
            for (int x0 = 0; x0 < width; x0 += COLS_BLOCK) {
                int nb = Math.min(COLS_BLOCK, width - x0);
                // rows of A past the block's input meet zeros of T, but 0 · NaN is NaN: keep them 0
                if (nb < COLS_BLOCK || rows < k) {
                    s.a.asSlice(0, (long) k * COLS_BLOCK * 4).fill((byte) 0);
                }
                for (int j = 0; j < rows; j++) {
                    MemorySegment.copy(src, rowOffset[o0 + j] + x0, s.a, ValueLayout.JAVA_FLOAT,
                            (long) j * COLS_BLOCK * 4, nb);
                }
                openblas.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, ROWS_BLOCK, COLS_BLOCK, k, 1f, t, k, s.af,
                        COLS_BLOCK, 0f, s.cf, COLS_BLOCK);
                for (int i = 0; i < m; i++) {
                    int d = dstPos + (o0 + i) * dstStride + x0;
                    MemorySegment.copy(s.c, ValueLayout.JAVA_FLOAT, (long) i * COLS_BLOCK * 4, dst, d, nb);
                    for (int x = 0; x < nb; x++) {
                        if (!Float.isFinite(dst[d + x])) {
                            dst[d + x] = direct(src, rowOffset, o0 + i, x0 + x, kernel);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
        lineGemm(src, srcPos, dst, dstPos, n, kernel, false);
        float[] w = kernel.weightArrayF();
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(dst[dstPos + i])) {
                float acc = 0;
                for (int j = 0; j < w.length; j++) {
                    acc = Math.fma(src[srcPos + i + j], w[j], acc);
                }
                dst[dstPos + i] = acc;
            }
        }
    }

    /** GEMM sums have their own order: integer outputs take the scalar reference's operations. */
    @Override
    public LineKernel roundedProducts() {
        return SCIPY_ROUNDING;
    }

    private static final LineKernel SCIPY_ROUNDING = new ScalarLineKernel();

    @Override
    public void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel) {
        lineGemm(src, srcPos, dst, dstPos, n, kernel, true);
        double[] w = kernel.weightArray();
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(dst[dstPos + i])) {
                double acc = 0;
                for (int j = 0; j < w.length; j++) {
                    acc = Math.fma(src[srcPos + i + j], w[j], acc);
                }
                dst[dstPos + i] = acc;
            }
        }
    }

    /**
     * A contiguous pass as GEMMs of 8 segments each, float[] or double[] lines: outputs a zero of
     * T met with NaN or ∞ come out non-finite and the callers recompute them term by term.
     */
    private void lineGemm(Object src, int srcPos, Object dst, int dstPos, int n, Kernel1D kernel, boolean dbl) {
        if (n <= 0) {
            return;
        }
        ValueLayout layout = dbl ? ValueLayout.JAVA_DOUBLE : ValueLayout.JAVA_FLOAT;
        long bytes = layout.byteSize();
        int size = kernel.size();
        int b = segment(size);
        int k = depth(b + size - 1);
        Scratch s = scratch.get();
        s.ensure(ROWS_BLOCK * k * bytes, ROWS_BLOCK * b * bytes);
        Object t = s.matrix(kernel, -b, dbl);
        int have = n + size - 1; // readable values from srcPos
        for (int i0 = 0; i0 < n; i0 += ROWS_BLOCK * b) {
            // ROWS_BLOCK segments of b outputs side by side (overlapping copies of the line)
            for (int g = 0; g < ROWS_BLOCK; g++) {
                int from = i0 + g * b;
                // only the segment's reach: a NaN past it would meet a zero of T and spoil the output
                int len = Math.max(0, Math.min(b + size - 1, have - from));
                if (len > 0) {
                    MemorySegment.copy(src, srcPos + from, s.a, layout, g * k * bytes, len);
                }
                if (len < k) {
                    s.a.asSlice((g * k + len) * bytes, (k - len) * bytes).fill((byte) 0);
                }
            }
            if (dbl) {
                openblas.cblas_dgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, ROWS_BLOCK, b, k, 1.0, s.ad, k, (DoubleBuffer) t, b,
                        0.0, s.cd, b);
            } else {
                openblas.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, ROWS_BLOCK, b, k, 1f, s.af, k, (FloatBuffer) t, b,
                        0f, s.cf, b);
            }
            MemorySegment.copy(s.c, layout, 0, dst, dstPos + i0, Math.min(ROWS_BLOCK * b, n - i0));
        }
    }

    /**
     * One output of a strided pass term by term, as GEMM sums it (0, then fmas in tap order):
     * outputs GEMM made non-finite by 0 · NaN or 0 · ∞ from a neighbour outside their reach get
     * the value scipy gives them, and truly non-finite ones stay so.
     */
    private static float direct(float[] src, int[] ro, int o, int x, Kernel1D kernel) {
        float[] w = kernel.weightArrayF();
        float acc = 0;
        for (int t = 0; t < w.length; t++) {
            acc = Math.fma(src[ro[o + t] + x], w[t], acc);
        }
        return acc;
    }
}
