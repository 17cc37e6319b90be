package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.backend.Backends;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * AUTO takes the float32 path only when float accumulation's error bound for the data at hand meets
 * the parity tolerance 1e-5 * max(1, |ref|): tools/check_cli_vs_scipy.py found a gain-34 derivative plan
 * on float32 data missing scipy by 1.6e-5 under the old gain-only rule.
 */
class FloatPathChoiceTest {
    private static final Schedule SIMD = Schedule.defaults().withBackend(Backends.Kind.SIMD).withThreads(2);

    private static Volume filled(long n, double scale, double shift, long seed) {
        Volume v = Volume.allocate(DType.F32, 4, 8, n);
        Random r = new Random(seed);
        for (long i = 0; i < v.elementCount(); i++) {
            v.writeDouble(i * 4, shift + scale * r.nextDouble());
        }
        return v;
    }

    private static boolean floatPath(Plan plan, Volume in) {
        try (Volume out = Volume.allocate(DType.F32, in.shape())) {
            return Engine.usesFloatPath(plan, in, new long[in.rank()], out, SIMD);
        }
    }

    @Test
    void dataWhoseSampleNearsTheBoundTakesTheDoublePathEveryWayItRuns() {
        // amplitude a: the bound holds for [-a, a] but not for 1.5 times that, the sample's headroom
        Plan plan = FilterSpec.gaussian(1.0).withOrder(1, 0, 0).plan(3);
        double lo = 0;
        double hi = 1e6;
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (ArithmeticPolicy.boundHolds(plan, new float[] {(float) -mid, (float) mid})) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double a = 0.75 * lo;
        assertTrue(ArithmeticPolicy.boundHolds(plan, new float[] {(float) -a, (float) a}));
        try (Volume in = filled(100, 2 * a, -a, 5);
             Volume pinned = Volume.allocate(DType.F32, in.shape());
             Volume auto = Volume.allocate(DType.F32, in.shape())) {
            in.writeDouble(0, -a);
            in.writeDouble(4, a);
            Engine.run(plan, in, pinned, SIMD.withArithmetic(Schedule.Arithmetic.FLOAT64));
            Run run = Engine.run(plan, in, auto, SIMD);
            assertFalse(run.floatPath(), run.why());
            assertTrue(run.why().endsWith("with headroom x1.5)"), run.why());
            assertEquals(-1, mismatch(pinned, auto));
            // chunked runs pin what the whole run decides, and the unfused schedule decides alike
            assertEquals(Schedule.Arithmetic.FLOAT64, Engine.arithmeticFor(plan, in, DType.F32, SIMD));
            assertFalse(floatPath(plan, in));
        }
    }

    /** Random values spanning all of {@code t}'s range (its extremes included), or of [-3000, 3000] for float types. */
    private static Volume extremes(DType t, long seed, long... shape) {
        Volume v = Volume.allocate(t, shape);
        Random r = new Random(seed);
        double lo = switch (t) {
            case U8, U16 -> 0;
            case I8 -> -128;
            case I16 -> -32768;
            default -> -3000;
        };
        double hi = switch (t) {
            case U8 -> 255;
            case I8 -> 127;
            case U16 -> 65535;
            case I16 -> 32767;
            default -> 3000;
        };
        for (long i = 0; i < v.elementCount(); i++) {
            double x = i % 7 == 0 ? (i % 14 == 0 ? lo : hi) : Math.floor(lo + (hi - lo + 1) * r.nextDouble());
            v.writeDouble(i * t.size(), x);
        }
        return v;
    }

    /**
     * Integer data under integer weights whose sums stay within 2^24 take the float path into integer
     * and float64 outputs, with the double path's bytes (scipy's, which the goldens pin): every
     * backend, the wrap of an integer output taken once at the end rather than after each pass.
     */
    @Test
    void integerDataUnderIntegerWeightsTakesTheFloatPathWithTheDoublePathsBytes() {
        dev.penumbra.TestBackends.assumeRunnable();
        java.util.List<FilterSpec> specs = java.util.List.of(
                FilterSpec.of(dev.penumbra.filter.Op.SOBEL).withAxis(0),
                FilterSpec.of(dev.penumbra.filter.Op.SOBEL).withAxis(2).withMode("constant").withCval(-3),
                FilterSpec.of(dev.penumbra.filter.Op.PREWITT).withAxis(1).withMode("wrap"),
                FilterSpec.of(dev.penumbra.filter.Op.LAPLACE).withMode("nearest"),
                FilterSpec.of(dev.penumbra.filter.Op.CORRELATE1D).withWeights(3, -7, 0, 2).withAxis(1).withMode("mirror"));
        long[] shape = {9, 33, 70};
        for (DType in : java.util.List.of(DType.U8, DType.I8, DType.U16, DType.I16)) {
            try (Volume v = extremes(in, 11, shape)) {
                for (DType out : java.util.List.of(DType.U8, DType.I16, DType.U16, DType.U32, DType.I64, DType.F32,
                        DType.F64)) {
                    try (Volume auto = Volume.allocate(out, shape); Volume pinned = Volume.allocate(out, shape)) {
                        for (FilterSpec fs : specs) {
                            for (Backends.Kind kind : dev.penumbra.filter.GoldenParityTest.BACKENDS) {
                                Schedule s = Schedule.defaults().withBackend(kind).withThreads(2);
                                String what = kind + " " + in + " -> " + out.numpyName() + " " + fs;
                                Run run = Engine.run(fs.plan(3), v, auto, s);
                                // (a backend without float kernels keeps the double path, and so does
                                // laplace into uint32, whose folded terms are read back as float)
                                boolean floats = Backends.floatKernel(kind) != null
                                        && !(out == DType.U32 && fs.op() == dev.penumbra.filter.Op.LAPLACE);
                                assertEquals(floats, run.floatPath(), what + ": " + run.why());
                                assertEquals(floats, run.why().startsWith("integer data and integer weights"), run.why());
                                Engine.run(fs.plan(3), v, pinned, s.withArithmetic(Schedule.Arithmetic.FLOAT64));
                                assertEquals(-1, mismatch(pinned, auto), what);
                                // chunks of such a run pin what the whole run does (the rule needs no data)
                                assertEquals(floats ? Schedule.Arithmetic.FLOAT32 : Schedule.Arithmetic.FLOAT64,
                                        Engine.arithmeticFor(fs.plan(3), v, out, s), what);
                                assertEquals(floats, Engine.usesFloatPath(fs.plan(3), v, new long[3], pinned, s), what);
                                if (floats) {
                                    Run pinnedFloat = Engine.run(fs.plan(3), v, pinned,
                                            s.withArithmetic(Schedule.Arithmetic.FLOAT32));
                                    assertTrue(pinnedFloat.floatPath(), what);
                                    assertEquals(-1, mismatch(pinned, auto), what + " (float32 pinned)");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void theIntegerRuleHoldsOnlyWhereFloatIsExact() {
        Schedule s = SIMD;
        // within 2^24: laplace on uint16 (65535 * 12); not: weights whose gain passes it
        assertTrue(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.LAPLACE).plan(3), DType.U16,
                DType.U16, s));
        assertTrue(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.CORRELATE1D)
                .withWeights(128, -128).plan(3), DType.U16, DType.U16, s)); // 65535 * 256 < 2^24
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.CORRELATE1D)
                .withWeights(129, -128).plan(3), DType.U16, DType.U16, s));
        // laplace into uint32: a term folded into the output is read back as float (4294967291 is not a float)
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.LAPLACE).plan(3), DType.U16,
                DType.U32, s));
        assertTrue(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.SOBEL).plan(3), DType.U16,
                DType.U32, s));
        // not integers: the Gaussians, uniform (running means), a half-integer weight or cval
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.gaussian(1.0).plan(3), DType.U16, DType.U16, s));
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.UNIFORM).withSize(3).plan(3),
                DType.U8, DType.U8, s));
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.CORRELATE1D)
                .withWeights(1, 0.5).plan(3), DType.U8, DType.U8, s));
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.SOBEL).withMode("constant")
                .withCval(0.5).plan(3), DType.U8, DType.U8, s));
        // inputs float does not hold exactly; gradient magnitude (squares and a square root)
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.SOBEL).plan(3), DType.I32,
                DType.I32, s));
        assertFalse(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.SOBEL).plan(3), DType.F32,
                DType.F32, s));
        assertTrue(ArithmeticPolicy.integerExact(FilterSpec.of(dev.penumbra.filter.Op.SOBEL).plan(3), DType.U16,
                DType.F32, s));
    }

    @Test
    void smoothingNonNegativeDataOfAnyMagnitudeStaysFloat() {
        try (Volume counts = filled(100, 65535, 0, 1)) {
            assertTrue(floatPath(FilterSpec.gaussian(3.0).plan(3), counts));
        }
    }

    @Test
    void cancellationOnLargeValuesTakesTheDoublePath() {
        // Hounsfield-like data around zero: a Gaussian's sums cancel, float error would be absolute
        try (Volume hu = filled(100, 3000, -1000, 2)) {
            assertFalse(floatPath(FilterSpec.gaussian(3.0).plan(3), hu));
        }
        // like the case check_cli_vs_scipy.py caught (orders 2,3,0,1 at sigma 0.45, gain 34, on N(0,1)-sized data)
        try (Volume small = filled(5, 4, -2, 3)) {
            Plan plan = FilterSpec.gaussian(0.45).withOrder(2, 3, 0).withTruncate(2.5).plan(3);
            assertFalse(floatPath(plan, small));
        }
    }

    @Test
    void smallMagnitudesKeepDerivativesFloat() {
        try (Volume tiny = filled(100, 0.02, -0.01, 4)) {
            assertTrue(floatPath(FilterSpec.gaussian(2.0).withOrder(1, 0, 0).plan(3), tiny));
        }
    }

    @Test
    void nanOrInfinityAnywhereTakesTheDoublePath() {
        try (Volume v = filled(100, 1, 0, 5)) {
            v.writeDouble((v.elementCount() - 1) * 4, Double.NaN);
            assertFalse(floatPath(FilterSpec.gaussian(1.0).plan(3), v));
            v.writeDouble((v.elementCount() - 1) * 4, Double.POSITIVE_INFINITY);
            assertFalse(floatPath(FilterSpec.gaussian(1.0).plan(3), v));
        }
    }

    @Test
    void aConstantModeCvalCountsAsData() {
        try (Volume v = filled(100, 1, 0, 6)) {
            assertTrue(floatPath(FilterSpec.gaussian(1.0).withMode("constant").withCval(0.5).plan(3), v));
            assertFalse(floatPath(FilterSpec.gaussian(1.0).withMode("constant").withCval(-1e4).plan(3), v));
        }
    }

    @Test
    void theWholeVolumeDecidesForPinnedChunks() {
        try (Volume v = filled(100, 3000, -1000, 7)) {
            Plan plan = FilterSpec.gaussian(3.0).plan(3);
            assertEquals(Schedule.Arithmetic.FLOAT64, Engine.arithmeticFor(plan, v, DType.F32, SIMD));
            assertEquals(Schedule.Arithmetic.FLOAT64, Engine.arithmeticFor(plan, v, DType.F64, SIMD));
        }
        try (Volume v = filled(100, 1, 0, 8)) {
            assertEquals(Schedule.Arithmetic.FLOAT32,
                    Engine.arithmeticFor(FilterSpec.gaussian(3.0).plan(3), v, DType.F32, SIMD));
        }
    }

    private static long mismatch(Volume a, Volume b) {
        return a.segment().mismatch(b.segment());
    }

    /**
     * AUTO on the fused engine decides after the fact, from the values its gathers read: every way
     * of running (one streaming thread, a team, tiles, a sub-box) must give exactly the pinned
     * arithmetic's bytes, and redo the output in double exactly when the bound fails.
     */
    @Test
    void autoRunsGiveThePinnedArithmeticsBytesWhicheverWayTheyRun() {
        Schedule[] ways = {
            SIMD.withThreads(1),                                      // one thread streams slabs
            SIMD.withThreads(2).withStrategy(Strategy.TEAM),          // a team of two, even on a small volume
            SIMD.withThreads(2).withChunks(3, 5, 70),                 // tiles through FloatTileWorker
        };
        Strategy[] ran = {Strategy.STREAM, Strategy.TEAM, Strategy.TILES};
        Plan smooth = FilterSpec.gaussian(2.0).plan(3);
        Plan derivative = FilterSpec.gaussian(0.45).withOrder(2, 3, 0).withTruncate(2.5).plan(3);
        Object[][] cases = {
            {smooth, filled(100, 65535, 0, 11), false},     // non-negative counts: float holds
            {smooth, filled(100, 3000, -1000, 12), true},   // cancellation on large values: double
            {derivative, filled(100, 4, -2, 13), true},     // the case check_cli_vs_scipy.py caught
            {derivative, filled(100, 0.02, -0.01, 14), false},
        };
        for (Object[] c : cases) {
            Plan plan = (Plan) c[0];
            boolean twice = (Boolean) c[2];
            try (Volume in = (Volume) c[1];
                 Volume pinned = Volume.allocate(DType.F32, in.shape());
                 Volume auto = Volume.allocate(DType.F32, in.shape())) {
                Engine.run(plan, in, pinned, SIMD.withArithmetic(twice ? Schedule.Arithmetic.FLOAT64
                        : Schedule.Arithmetic.FLOAT32));
                for (int w = 0; w < ways.length; w++) {
                    Run run = Engine.run(plan, in, auto, ways[w]);
                    // a run redone in double streams too: float32 outputs keep float storage, with sums in double
                    assertEquals(ran[w], run.strategy(), "what ran: " + ways[w]);
                    // (these volumes are small: the sample of the data reads every row, so a failing
                    // bound is known before any float run and nothing is redone)
                    assertFalse(run.redone(), "redone in double: " + ways[w]);
                    assertTrue(run.why().startsWith(twice ? "the float32 error bound fails for the data (a sample"
                            : "the float32 error bound holds for the data"), run.why());
                    assertEquals(!twice, run.floatPath(), "finished on the float path: " + ways[w]);
                    assertEquals(-1, mismatch(pinned, auto), "AUTO != pinned arithmetic: " + ways[w]);
                }
            }
        }
    }

    @Test
    void aNanTheSampleMissesStillSendsTheRunToTheDoublePath() {
        Plan plan = FilterSpec.gaussian(1.0).plan(3);
        // 1024 rows: the sample reads one in four (rows 2, 6, 10, ..); the NaN sits on row 1021, read late
        try (Volume in = Volume.allocate(DType.F32, 16, 64, 20);
             Volume pinned = Volume.allocate(DType.F32, in.shape());
             Volume auto = Volume.allocate(DType.F32, in.shape())) {
            Random r = new Random(15);
            for (long i = 0; i < in.elementCount(); i++) {
                in.writeDouble(i * 4, r.nextDouble());
            }
            in.writeDouble((1021 * 20 + 7) * 4, Double.NaN);
            Engine.run(plan, in, pinned, SIMD.withArithmetic(Schedule.Arithmetic.FLOAT64));
            Run run = Engine.run(plan, in, auto, SIMD.withThreads(1));
            assertTrue(run.redone(), run.why());
            assertEquals("the float32 error bound failed for the data (NaN): redone in double", run.why());
            assertEquals(-1, mismatch(pinned, auto));
        }
    }

    @Test
    void aSubBoxDecidesFromTheValuesItReads() {
        // rows 1 of 8 with a radius-4 reflect kernel read rows 0-5: a large value on row 7 is in the
        // dependence box (its halo passes the edge, where other modes read the far side) but not read
        Plan plan = FilterSpec.gaussian(1.0).plan(3);
        try (Volume in = filled(100, 1, 0, 16);
             Volume pinned = Volume.allocate(DType.F32, 2, 1, 20);
             Volume auto = Volume.allocate(DType.F32, 2, 1, 20)) {
            in.writeDouble(((2 * 8 + 7) * 100 + 20) * 4, -1e6); // (2, 7, 20)
            long[] origin = {1, 1, 10};
            Engine.run(plan, in, origin, pinned, SIMD.withArithmetic(Schedule.Arithmetic.FLOAT32));
            assertFalse(Engine.run(plan, in, origin, auto, SIMD.withThreads(1)).redone());
            assertEquals(-1, mismatch(pinned, auto));
            assertFalse(Engine.usesFloatPath(plan, in, origin, auto, SIMD), "the box read first does see it");
        }
    }
}
