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
