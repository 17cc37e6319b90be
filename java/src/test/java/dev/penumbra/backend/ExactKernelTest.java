package dev.penumbra.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.penumbra.TestBackends;
import dev.penumbra.backend.ffm.NativeKernels;
import dev.penumbra.backend.ffm.NativeLibrary;
import dev.penumbra.filter.Kernel1D;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The double path's kernels on float storage give, for every output, exactly the backend's double
 * line kernel's sum of the same values rounded to float: the bits the double path on double storage
 * gives for a float32 output (it rounds each pass to float32, as scipy does). Kernels of 1..41 taps,
 * random and (anti)symmetric weights, line and strided forms, outputs at every position of a vector.
 */
class ExactKernelTest {
    @BeforeEach
    void backendsRun() {
        TestBackends.assumeRunnable();
    }

    private static List<Kernel1D> kernels(Random r) {
        List<Kernel1D> ks = new ArrayList<>();
        for (int size = 1; size <= 41; size += 2) {
            double[] w = new double[size];
            double[] sym = new double[size];
            double[] anti = new double[size];
            for (int t = 0; t < size; t++) {
                w[t] = r.nextGaussian();
            }
            int c = size / 2;
            for (int t = 0; t <= c; t++) {
                sym[c - t] = sym[c + t] = Math.exp(-0.1 * t * t);
                anti[c - t] = -(anti[c + t] = t * Math.exp(-0.1 * t * t));
            }
            ks.add(new Kernel1D(w, 0));
            ks.add(new Kernel1D(sym, 0));
            ks.add(new Kernel1D(anti, 0));
        }
        ks.add(new Kernel1D(new double[] {0.25, 0.5, 0.125, 1.5}, 0)); // even length
        return ks;
    }

    @TestFactory
    Stream<DynamicTest> floatStorageGivesTheDoubleSumsRoundedOnce() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backends.Kind kind : TestBackends.list()) {
            FloatTileKernel exact = Backends.exactKernel(kind);
            if (exact != null) {
                tests.add(DynamicTest.dynamicTest(kind.name(), () -> check(Backends.kernel(kind), exact)));
            }
        }
        return tests.stream();
    }

    private static void check(LineKernel reference, FloatTileKernel exact) {
        Random r = new Random(21);
        int n = 103; // tails after every vector width
        for (Kernel1D k : kernels(r)) {
            int size = k.size();
            float[] src = new float[n + size - 1];
            double[] srcD = new double[src.length];
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) (r.nextGaussian() * 100);
                srcD[i] = src[i];
            }
            double[] want = new double[n];
            reference.correlate(srcD, 0, want, 0, n, k);
            float[] got = new float[n];
            exact.line(src, 0, got, 0, n, k);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits((float) want[i]), Float.floatToRawIntBits(got[i]),
                        exact.name() + " line " + k + " output " + i);
            }
            // the strided form: column x of rows 0..n+size-2 is the line above, shifted by x
            int width = 37;
            float[] rows = new float[src.length * width];
            int[] offsets = new int[src.length];
            for (int j = 0; j < src.length; j++) {
                offsets[j] = j * width;
                for (int x = 0; x < width; x++) {
                    rows[j * width + x] = src[(j + x) % src.length];
                }
            }
            float[] out = new float[n * width];
            exact.rows(rows, offsets, n, width, out, 0, width, k);
            for (int x = 0; x < width; x++) {
                double[] col = new double[src.length];
                for (int j = 0; j < src.length; j++) {
                    col[j] = rows[j * width + x];
                }
                double[] ref = new double[n];
                reference.correlate(col, 0, ref, 0, n, k);
                for (int o = 0; o < n; o++) {
                    assertEquals(Float.floatToRawIntBits((float) ref[o]), Float.floatToRawIntBits(out[o * width + x]),
                            exact.name() + " rows " + k + " output (" + o + ", " + x + ")");
                }
            }
        }
    }

    /** The double path's row kernels: every column of rows has the bits of the backend's line kernel. */
    @TestFactory
    Stream<DynamicTest> doubleRowsGiveTheLineKernelsBits() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backends.Kind kind : TestBackends.list()) {
            LineKernel k = Backends.kernel(kind);
            if (k.hasRows()) {
                tests.add(DynamicTest.dynamicTest(kind.name(), () -> checkDoubleRows(k, k)));
            }
            if (kind == Backends.Kind.NATIVE) {
                // every compiled variant this CPU runs: the same bits as the bound one
                NativeLibrary lib = NativeLibrary.get().orElseThrow();
                for (String isa : lib.variants()) {
                    tests.add(DynamicTest.dynamicTest("native " + isa,
                            () -> checkDoubleRows(k, new NativeKernels(lib.variant(isa)))));
                }
            }
        }
        return tests.stream();
    }

    /**
     * The kernels integer outputs take ({@link LineKernel#roundedProducts}): every output, line or
     * rows, has the bits of the scalar reference, which computes it as scipy's C does (each product
     * rounded, then added, in scipy's order) — the last bit an integer output's truncation shows.
     */
    @TestFactory
    Stream<DynamicTest> roundedProductsGiveTheScalarReferencesBits() {
        LineKernel scalar = Backends.kernel(Backends.Kind.SCALAR);
        List<DynamicTest> tests = new ArrayList<>();
        for (Backends.Kind kind : TestBackends.list()) {
            LineKernel k = Backends.kernel(kind).roundedProducts();
            tests.add(DynamicTest.dynamicTest(kind.name(), () -> {
                checkDoubleLine(scalar, k);
                if (k.hasRows()) {
                    checkDoubleRows(scalar, k);
                }
            }));
            if (kind == Backends.Kind.NATIVE) {
                NativeLibrary lib = NativeLibrary.get().orElseThrow();
                for (String isa : lib.variants()) {
                    LineKernel v = new NativeKernels(lib.variant(isa)).roundedProducts();
                    tests.add(DynamicTest.dynamicTest("native " + isa, () -> {
                        checkDoubleLine(scalar, v);
                        checkDoubleRows(scalar, v);
                    }));
                }
            }
        }
        return tests.stream();
    }

    private static void checkDoubleLine(LineKernel reference, LineKernel kernel) {
        Random r = new Random(23);
        int n = 203; // tails after every vector width and the 32-output blocks
        for (Kernel1D k : kernels(r)) {
            double[] src = new double[n + k.size() - 1];
            for (int i = 0; i < src.length; i++) {
                // integers and fractions, as smoothed integer volumes hold them
                src[i] = i % 3 == 0 ? Math.floor(r.nextDouble() * 256) : r.nextGaussian() * 100;
            }
            double[] want = new double[n];
            double[] got = new double[n];
            reference.correlate(src, 0, want, 0, n, k);
            kernel.correlate(src, 0, got, 0, n, k);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]),
                        kernel.name() + " rounded line " + k + " output " + i);
            }
        }
    }

    private static void checkDoubleRows(LineKernel reference, LineKernel kernel) {
        Random r = new Random(22);
        int n = 13;
        for (Kernel1D k : kernels(r)) {
            int size = k.size();
            int lines = n + size - 1;
            for (int width : new int[] {1, 3, 4, 8, 37, 64}) {
                double[] rows = new double[lines * width + 5];
                int[] offsets = new int[lines];
                for (int j = 0; j < lines; j++) {
                    // rows in shuffled places, as a mode's extension maps them
                    offsets[j] = ((j * 7) % lines) * width + 5;
                    for (int x = 0; x < width; x++) {
                        rows[offsets[j] + x] = r.nextGaussian() * 100;
                    }
                }
                int stride = width + 2;
                double[] out = new double[n * stride + 3];
                kernel.rows(rows, offsets, n, width, out, 3, stride, k);
                for (int x = 0; x < width; x++) {
                    double[] col = new double[lines];
                    for (int j = 0; j < lines; j++) {
                        col[j] = rows[offsets[j] + x];
                    }
                    double[] ref = new double[n];
                    reference.correlate(col, 0, ref, 0, n, k);
                    for (int o = 0; o < n; o++) {
                        assertEquals(Double.doubleToRawLongBits(ref[o]),
                                Double.doubleToRawLongBits(out[3 + o * stride + x]), kernel.name() + " double rows " + k + " width " + width + " output (" + o + ", " + x + ")");
                    }
                }
            }
        }
    }
}
