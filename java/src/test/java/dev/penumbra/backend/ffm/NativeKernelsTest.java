package dev.penumbra.backend.ffm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.penumbra.backend.Backends;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.volume.DType;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The native kernels against the Java simd kernels, for every instruction-set variant this CPU
 * runs: the same operations in the same order, so the same bits, for lines and row bundles of
 * every length around the vector widths (tails included), symmetric, antisymmetric and general
 * kernels, float and double. Skipped, with the loader's reason, when libpenumbra is not built.
 */
class NativeKernelsTest {
    private static NativeLibrary lib;

    @BeforeEach
    void load() {
        assumeTrue(NativeLibrary.get().isPresent(), "native backend " + NativeLibrary.status());
        lib = NativeLibrary.get().orElseThrow();
    }

    private static List<Kernel1D> kernels() {
        List<Kernel1D> ks = new ArrayList<>();
        ks.add(new Kernel1D(new double[] {0.25, 0.5, 0.25}, 0));               // symmetric
        ks.add(new Kernel1D(new double[] {-0.5, 0, 0.5}, 0));                  // antisymmetric
        ks.add(new Kernel1D(new double[] {0.1, 0.2, 0.3, 0.4}, 0));            // general, even size
        ks.add(new Kernel1D(new double[] {1.0}, 0));                           // one tap
        double[] g = new double[25];
        for (int i = 0; i < 25; i++) {
            g[i] = Math.exp(-0.5 * (i - 12) * (i - 12) / 9.0) / 7.52;
        }
        ks.add(new Kernel1D(g, 0));                                            // the seed's 25 taps
        ks.add(new Kernel1D(new double[] {0.3, -0.1, 0.7, 0.2, 0.05}, 1));     // general, off centre
        assertEquals(EnumSet.allOf(Kernel1D.Symmetry.class),
                EnumSet.copyOf(ks.stream().map(Kernel1D::symmetry).toList()));
        return ks;
    }

    private static float[] randomFloats(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void everyVariantGivesTheSimdBackendsBitsOnLinesAndRows() {
        assertTrue(Backends.simdAvailable(), Backends.simdStatus());
        FloatTileKernel simd = Backends.floatKernel(Backends.Kind.SIMD);
        LineKernel simdD = Backends.kernel(Backends.Kind.SIMD);
        Random r = new Random(11);
        assertTrue(lib.variants().contains("generic"), lib.variants().toString());
        for (String isa : lib.variants()) {
            NativeKernels nat = new NativeKernels(lib.variant(isa));
            assertEquals(isa, nat.isa());
            for (Kernel1D k : kernels()) {
                for (int n : new int[] {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1104}) {
                    String what = isa + " " + k + " n=" + n;
                    float[] src = randomFloats(r, n + k.size() + 3);
                    float[] a = new float[n + 2];
                    float[] b = new float[n + 2];
                    simd.line(src, 2, a, 1, n, k);
                    nat.line(src, 2, b, 1, n, k);
                    assertArrayEquals(a, b, "line " + what);
                    double[] srcD = new double[src.length];
                    for (int i = 0; i < src.length; i++) {
                        srcD[i] = src[i] * 1e3;
                    }
                    double[] ad = new double[n + 1];
                    double[] bd = new double[n + 1];
                    simdD.correlate(srcD, 1, ad, 1, n, k);
                    nat.correlate(srcD, 1, bd, 1, n, k);
                    assertArrayEquals(ad, bd, "double line " + what);
                    // rows: nOut outputs of width n from rows scattered through a buffer
                    for (int nOut : new int[] {1, 2, 5})
                    for (int base : new int[] {0, 3, 13}) { // different heads before vector alignment
                        int rows = nOut + k.size() - 1;
                        int pitch = n + 5;
                        float[] buf = randomFloats(r, rows * pitch + 16);
                        int[] ro = new int[rows + 2];
                        for (int j = 0; j < rows; j++) {
                            ro[j] = ((j * 7) % rows) * pitch + base; // out of order, as a ring's slots are
                        }
                        float[] ra = new float[nOut * (n + 4) + 2];
                        float[] rb = new float[ra.length];
                        simd.rows(buf, ro, nOut, n, ra, 2, n + 4, k);
                        nat.rows(buf, ro, nOut, n, rb, 2, n + 4, k);
                        assertArrayEquals(ra, rb, "rows nOut=" + nOut + " base=" + base + " " + what);
                    }
                }
            }
        }
    }

    /** penumbra_widen_* gives every 8- and 16-bit value exactly, signed and unsigned, in every variant. */
    @Test
    void widenGivesEveryIntegerExactly() {
        byte[] b = new byte[256 + 3];
        short[] h = new short[65536 + 3];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i - 128);
        }
        for (int i = 0; i < h.length; i++) {
            h[i] = (short) (i - 32768);
        }
        for (String isa : lib.variants()) {
            NativeKernels nat = new NativeKernels(lib.variant(isa));
            for (boolean unsigned : new boolean[] {false, true}) {
                float[] bf = new float[b.length + 2];
                double[] bd = new double[b.length + 2];
                nat.widen(b, unsigned, b.length, bf, 2);
                nat.widen(b, unsigned, b.length, bd, 2);
                for (int i = 0; i < b.length; i++) {
                    int want = unsigned ? b[i] & 0xff : b[i];
                    assertEquals(want, bf[i + 2], isa + " byte " + i);
                    assertEquals(want, bd[i + 2], isa + " byte " + i);
                }
                float[] hf = new float[h.length + 1];
                double[] hd = new double[h.length + 1];
                nat.widen(h, unsigned, h.length, hf, 1);
                nat.widen(h, unsigned, h.length, hd, 1);
                for (int i = 0; i < h.length; i++) {
                    int want = unsigned ? h[i] & 0xffff : h[i];
                    assertEquals(want, hf[i + 1], isa + " short " + i);
                    assertEquals(want, hd[i + 1], isa + " short " + i);
                }
                assertEquals(0f, hf[0], "nothing before dstPos");
            }
            assertThrows(IllegalArgumentException.class, () -> nat.widen(h, true, 10, new float[5], 0));
        }
    }

    /** penumbra_fold_* gives the Java folds' bits (the interfaces' defaults) for every flag, in place too. */
    @Test
    void foldsGiveTheJavaFoldsBits() {
        FloatTileKernel javaF = new FloatTileKernel() {
            public String name() {
                return "java";
            }

            public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
            }

            public void rows(float[] src, int[] ro, int nOut, int width, float[] dst, int dstPos, int ds, Kernel1D k) {
            }
        };
        LineKernel javaD = new LineKernel() {
            public String name() {
                return "java";
            }

            public void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel) {
            }
        };
        Random r = new Random(14);
        for (String isa : lib.variants()) {
            NativeKernels nat = new NativeKernels(lib.variant(isa));
            for (int flags = 0; flags < 8; flags++) {
                boolean first = (flags & 1) != 0, last = (flags & 2) != 0, hypot = (flags & 4) != 0;
                for (int n : new int[] {0, 1, 7, 33, 1000}) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        String what = isa + " first=" + first + " last=" + last + " hypot=" + hypot + " n=" + n
                                + " inPlace=" + inPlace;
                        float[] bf = randomFloats(r, n + 5);
                        float[] af = randomFloats(r, n + 5);
                        float[] af2 = af.clone();
                        float[] bf2 = inPlace ? af2 : bf;
                        javaF.fold(inPlace ? af : bf, 2, af, 2, n, first, last, hypot);
                        nat.fold(bf2, 2, af2, 2, n, first, last, hypot);
                        assertArrayEquals(af, af2, "float " + what);
                        double[] bd = new double[n + 5];
                        double[] ad = new double[n + 5];
                        for (int i = 0; i < bd.length; i++) {
                            bd[i] = r.nextGaussian() * 1e3;
                            ad[i] = r.nextGaussian() * 1e3;
                        }
                        double[] ad2 = ad.clone();
                        javaD.fold(inPlace ? ad : bd, 1, ad, 1, n, first, last, hypot);
                        nat.fold(inPlace ? ad2 : bd, 1, ad2, 1, n, first, last, hypot);
                        assertArrayEquals(ad, ad2, "double " + what);
                    }
                }
            }
        }
    }

    /** penumbra_cast_f64 gives DType.castLikeC's values (C's cast on x86-64) in every variant and tail. */
    @Test
    void castToIntegerTypesIsCastLikeC() {
        double[] edges = {0, -0.0, 0.5, -0.5, 1.5, -1.5, 127.9, 128, -128.5, -129, 255.9, 256, 257.25, -1,
            32767.5, 32768, -32768.9, -32769, 65535.9, 65536, 70000.3, 2147483647.0, 2147483648.0, -2147483648.0,
            -2147483649.0, 4294967295.5, 4294967296.0, -4294967296.0, 9.2e18, 9.3e18, -9.3e18, 1e300,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, 12345.678};
        Random r = new Random(13);
        for (String isa : lib.variants()) {
            NativeKernels nat = new NativeKernels(lib.variant(isa));
            for (DType t : DType.values()) {
                if (t.isFloating()) {
                    continue;
                }
                for (int n : new int[] {0, 1, 3, 4, 5, 9, edges.length, 100}) {
                    double[] a = new double[n + 2];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = i < edges.length ? edges[(i + n) % edges.length] : r.nextGaussian() * 1e5;
                    }
                    double[] want = a.clone();
                    for (int i = 1; i < n + 1; i++) {
                        want[i] = t.castLikeC(want[i]);
                    }
                    nat.castTo(t, a, 1, n);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(a[i]),
                                isa + " " + t.numpyName() + " n=" + n + " element " + i + " (" + want[i] + " vs " + a[i] + ")");
                    }
                }
            }
        }
    }

    @Test
    void rangeFoldsMinMaxAndNan() {
        Random r = new Random(12);
        for (String isa : lib.variants()) {
            NativeKernels nat = new NativeKernels(lib.variant(isa));
            for (int n : new int[] {0, 1, 5, 16, 17, 40, 1000}) {
                float[] a = randomFloats(r, n + 3);
                float[] want = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                for (int i = 3; i < n + 3; i++) {
                    want[0] = Math.min(want[0], a[i]);
                    want[1] = Math.max(want[1], a[i]);
                }
                float[] got = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                nat.range(a, 3, n, got);
                assertArrayEquals(want, got, isa + " n=" + n);
                if (n > 0) {
                    a[3 + n - 1] = Float.NaN;
                    float[] nan = {0, 1};
                    nat.range(a, 3, n, nan);
                    assertTrue(Float.isNaN(nan[0]) && Float.isNaN(nan[1]), isa + " NaN at the end, n=" + n);
                }
            }
        }
    }

    @Test
    void argumentsOutsideTheArraysNeverReachC() {
        NativeKernels nat = new NativeKernels(lib);
        Kernel1D k = new Kernel1D(new double[] {0.25, 0.5, 0.25}, 0);
        float[] src = new float[10];
        float[] dst = new float[10];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> nat.line(src, 0, dst, 0, 9, k));
        assertEquals("line: 9 outputs from 0 (with 2 extension values) into 0 do not fit source 10 / destination 10",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> nat.line(src, -1, dst, 0, 2, k));
        assertThrows(IllegalArgumentException.class, () -> nat.line(src, 0, dst, 9, 2, k));
        assertThrows(IllegalArgumentException.class, () -> nat.correlate(new double[4], 0, new double[4], 0, 3, k));
        e = assertThrows(IllegalArgumentException.class,
                () -> nat.rows(src, new int[] {0, 2, 9}, 1, 2, dst, 0, 2, k));
        assertEquals("rows: row 2 at 9 with width 2 is outside the source of 10", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> nat.rows(src, new int[] {0, 2}, 1, 2, dst, 0, 2, k));
        assertThrows(IllegalArgumentException.class, () -> nat.rows(src, new int[] {0, 2, 4}, 2, 2, dst, 8, 2, k));
        assertThrows(IllegalArgumentException.class, () -> nat.range(src, 5, 6, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> nat.range(src, 0, 1, new float[1]));
    }

    @Test
    void statusNamesTheLibraryAndItsKernels() {
        String s = NativeLibrary.status();
        assertTrue(s.contains("libpenumbra.so") && s.contains(lib.isa() + " kernels"), s);
        assertEquals(lib.isa(), NativeLibrary.chooseIsa(lib.caps, lib.variants));
    }
}
