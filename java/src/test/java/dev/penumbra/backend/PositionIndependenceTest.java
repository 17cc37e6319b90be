package dev.penumbra.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.penumbra.TestBackends;
import dev.penumbra.filter.Kernel1D;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The kernel contract that chunked runs rest on: an output's bits do not depend on where in a
 * buffer or tile it sits. For every backend and kernel size 1..41 (random and symmetric weights),
 * each kind of pass is run once over a whole buffer and again from shifted starts (rows, columns,
 * line positions), and every output of the shifted runs must equal the whole run's bit for bit.
 * (The blas backend failed this under OpenBLAS's Haswell and Zen kernels until GEMM depths were
 * padded to a multiple of 16; see BlasKernels.K_STEP.)
 */
class PositionIndependenceTest {
    @BeforeEach
    void backendsRun() {
        TestBackends.assumeRunnable();
    }

    private static List<Kernel1D> kernels(Random r) {
        List<Kernel1D> ks = new ArrayList<>();
        for (int size = 1; size <= 41; size++) {
            double[] w = new double[size];
            double[] sym = new double[size];
            for (int t = 0; t < size; t++) {
                w[t] = r.nextGaussian();
            }
            for (int t = 0; t < size; t++) {
                sym[t] = sym[size - 1 - t] = Math.exp(-0.1 * (t - size / 2) * (t - size / 2));
            }
            ks.add(new Kernel1D(w, 0));
            ks.add(new Kernel1D(sym, 0));
        }
        return ks;
    }

    @TestFactory
    Stream<DynamicTest> everyOutputIsTheSameWhereverItSits() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backends.Kind kind : TestBackends.list()) {
            tests.add(DynamicTest.dynamicTest(kind + " correlate (double)", () -> correlate(Backends.kernel(kind))));
            FloatTileKernel f = Backends.floatKernel(kind);
            if (f != null) {
                tests.add(DynamicTest.dynamicTest(kind + " line (float)", () -> line(f)));
                tests.add(DynamicTest.dynamicTest(kind + " rows (float)", () -> rows(f)));
            }
        }
        return tests.stream();
    }

    private static void correlate(LineKernel k) {
        Random r = new Random(11);
        for (Kernel1D kernel : kernels(r)) {
            double[] src = new double[LINE + kernel.size() - 1];
            for (int i = 0; i < src.length; i++) {
                src[i] = r.nextGaussian();
            }
            shifted(k.name() + " correlate " + kernel, (srcPos, dstPos, n) -> {
                double[] dst = new double[LINE];
                k.correlate(src, srcPos, dst, dstPos, n, kernel);
                long[] bits = new long[n];
                for (int i = 0; i < n; i++) {
                    bits[i] = Double.doubleToRawLongBits(dst[dstPos + i]);
                }
                return bits;
            });
        }
    }

    private static void line(FloatTileKernel k) {
        Random r = new Random(12);
        for (Kernel1D kernel : kernels(r)) {
            float[] src = new float[LINE + kernel.size() - 1];
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) r.nextGaussian();
            }
            shifted(k.name() + " line " + kernel, (srcPos, dstPos, n) -> {
                float[] dst = new float[LINE];
                k.line(src, srcPos, dst, dstPos, n, kernel);
                long[] bits = new long[n];
                for (int i = 0; i < n; i++) {
                    bits[i] = Float.floatToRawIntBits(dst[dstPos + i]);
                }
                return bits;
            });
        }
    }

    /** Outputs of a line pass in {@code n} places from {@code srcPos}, written from {@code dstPos}, as bits. */
    private interface LineRun {
        long[] bits(int srcPos, int dstPos, int n);
    }

    private static final int LINE = 150;

    /** A line run from 0 against runs from starts 1..69 into other places of the output buffer. */
    private static void shifted(String what, LineRun run) {
        long[] whole = run.bits(0, 0, LINE);
        for (int p = 1; p < 70; p++) {
            int dstPos = 1 + p % 7;
            long[] part = run.bits(p, dstPos, LINE - p - dstPos);
            for (int i = 0; i < part.length; i++) {
                assertEquals(whole[p + i], part[i], what + " output " + (p + i) + " from start " + p);
            }
        }
    }

    private static void rows(FloatTileKernel k) {
        Random r = new Random(13);
        int width = 300; // more than one 256-column GEMM block, and a tail after any vector width
        for (Kernel1D kernel : kernels(r)) {
            int nOut = 20;
            int nIn = nOut + kernel.size() - 1;
            float[] src = new float[nIn * width];
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) r.nextGaussian();
            }
            float[] whole = new float[nOut * width];
            k.rows(src, offsets(nIn, width, 0, 0), nOut, width, whole, 0, width, kernel);
            for (int p : new int[] {1, 2, 3, 5, 7, 9}) {
                for (int q : new int[] {0, 1, 7, 45}) {
                    int w = width - q;
                    float[] part = new float[nOut * width];
                    k.rows(src, offsets(nIn - p, width, p, q), nOut - p, w, part, 0, width, kernel);
                    for (int o = 0; o < nOut - p; o++) {
                        for (int x = 0; x < w; x++) {
                            int got = Float.floatToRawIntBits(part[o * width + x]);
                            int want = Float.floatToRawIntBits(whole[(p + o) * width + q + x]);
                            if (got != want) {
                                assertEquals(want, got, k.name() + " rows " + kernel + " output (" + (p + o) + ", "
                                        + (q + x) + ") from row " + p + ", column " + q);
                            }
                        }
                    }
                }
            }
        }
    }

    private static int[] offsets(int rows, int width, int firstRow, int firstColumn) {
        int[] ro = new int[rows];
        for (int j = 0; j < rows; j++) {
            ro[j] = (firstRow + j) * width + firstColumn;
        }
        return ro;
    }
}
