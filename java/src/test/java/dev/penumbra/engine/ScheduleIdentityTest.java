package dev.penumbra.engine;

import static dev.penumbra.engine.Schedule.Arithmetic.FLOAT32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.BadParameterException;
import dev.penumbra.Goldens;
import dev.penumbra.TestBackends;
import dev.penumbra.backend.Backends;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.GoldenParityTest;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every schedule computes every output the same way: streamed slabs, fused tiles of any shape, and
 * one pass per axis over the whole volume give the same bytes, on volumes big enough that the
 * automatic schedule streams and cuts chunks. The data here is N(0,1), for which AUTO would take
 * the double path for most plans (see FloatPathChoiceTest), so the float path is pinned.
 */
class ScheduleIdentityTest {
    /** One of each kind of plan: smoothing, derivatives, every mode, cval, box, compounds. */
    static final List<FilterSpec> EVERY_KIND = List.of(
                FilterSpec.gaussian(3.0),
                FilterSpec.gaussian(1.0, 2.5, 1.5).withOrder(0, 1, 2).withMode("wrap"),
                FilterSpec.gaussian(2.0).withMode("constant").withCval(0.25),
                FilterSpec.of(Op.UNIFORM).withSize(4, 5, 2).withMode("mirror"),
                FilterSpec.of(Op.SOBEL).withAxis(1).withMode("nearest"),
                FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(1.5),
                FilterSpec.of(Op.LAPLACE).withMode("constant").withCval(0.5),
                FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(1.0, 2.0, 1.5).withMode("mirror"));

    @BeforeEach
    void backendsRun() {
        TestBackends.assumeRunnable();
    }

    static Volume random(DType t, long... shape) {
        Volume v = Volume.allocate(t, shape);
        Random r = new Random(5);
        for (long i = 0; i < v.elementCount(); i++) {
            v.writeDouble(i * t.size(), t == DType.U16 ? r.nextInt(4096) : r.nextGaussian());
        }
        return v;
    }

    /**
     * Scratch bytes for two threads each streaming one term of a compound plan, not all terms at once:
     * the plan then streams a term at a time (one sweep of every term would need them all).
     */
    static long oneTermScratch(Plan plan, long[] shape, int elementBytes) {
        long one = 0;
        for (Term t : plan.terms()) {
            Plan p = new Plan(plan.rank(), List.of(t), Plan.Combine.SINGLE, plan.cval());
            one = Math.max(one, StreamPlan.scratchFloats(p, shape, StreamPlan.streamAxis(shape), shape[0]));
        }
        return one * elementBytes * 2;
    }

    static long mismatch(Volume a, Volume b) {
        return MemorySegment.mismatch(a.segment(), 0, a.byteSize(), b.segment(), 0, b.byteSize());
    }

    @Test
    void streamedTiledAndUnfusedRunsGiveTheSameBytes() {
        List<FilterSpec> specs = EVERY_KIND;
        // rows of 300 floats are padded to 304 in the stream's slabs (SlabLayout.rowPitch)
        for (long[] shape : List.of(new long[] {23, 97, 61}, new long[] {61, 20, 37}, new long[] {9, 20, 300}))
        for (DType type : List.of(DType.F32, DType.U16)) {
            try (Volume in = random(type, shape);
                 Volume auto = Volume.allocate(DType.F32, shape);
                 Volume tiled = Volume.allocate(DType.F32, shape);
                 Volume unfused = Volume.allocate(DType.F32, shape)) {
                for (FilterSpec fs : specs) {
                    Plan plan = fs.plan(3);
                    for (Backends.Kind kind : GoldenParityTest.BACKENDS) {
                        Schedule s = Schedule.defaults().withBackend(kind).withThreads(2).withArithmetic(FLOAT32);
                        Run ran = Engine.run(plan, in, auto, s);
                        // compound plans stream a term at a time, folded into the output
                        assertTrue(ran.strategy() != Strategy.TILES, "expected a stream: " + ran + " " + fs);
                        Engine.run(plan, in, tiled, s.withChunks(7, 20, 13));
                        Engine.run(plan, in, unfused, s.withFused(false));
                        String what = kind + " " + type + " " + Arrays.toString(shape) + " " + fs;
                        assertEquals(-1, mismatch(auto, tiled), "tiled != auto: " + what);
                        if (plan.terms().size() > 1) {
                            // scratch for one term's stream, not all of them at once: a term at a time
                            // (TermSweep needs them all), folded into the output
                            Run ran2 = Engine.run(plan, in, unfused, s.withScratchBytes(oneTermScratch(plan, shape, 4)));
                            assertEquals(Strategy.STREAM, ran2.strategy(), what);
                            assertEquals(-1, mismatch(auto, unfused), "term at a time != auto: " + what);
                        }
                        assertEquals(-1, mismatch(auto, unfused), "unfused != auto: " + what);
                    }
                }
            }
        }
    }

    @Test
    void streamingWithAxisZeroCutGivesTheSameBytes() {
        List<FilterSpec> specs = List.of(
                FilterSpec.gaussian(3.0),
                FilterSpec.gaussian(2.0, 1.0, 1.5).withOrder(1, 0, 2).withMode("constant").withCval(-0.5),
                FilterSpec.gaussian(1.5).withMode("wrap"),
                FilterSpec.of(Op.UNIFORM).withSize(5, 3, 4).withMode("mirror"),
                FilterSpec.of(Op.SOBEL).withAxis(2).withMode("reflect"),
                FilterSpec.gaussian(0.0, 2.0, 1.0));
        for (long[] shape : List.of(new long[] {41, 57, 29}, new long[] {41, 60, 300}))
        try (Volume in = random(DType.F32, shape);
             Volume streamed = Volume.allocate(DType.F32, shape);
             Volume tiled = Volume.allocate(DType.F32, shape)) {
            for (FilterSpec fs : specs) {
                Plan plan = fs.plan(3);
                Schedule s = Schedule.defaults().withBackend(Backends.Kind.SIMD).withThreads(2).withArithmetic(FLOAT32);
                // room for slabs of about 8 z-rows: axis 0 is cut into chunks with halos
                Run run = Engine.run(plan, in, streamed, s.withStrategy(Strategy.STREAM)
                        .withScratchBytes(StreamPlan.scratchFloats(plan, shape, StreamPlan.streamAxis(shape), 8) * 4 * 2));
                assertTrue(run.strategy() == Strategy.STREAM && run.zChunk() > 0 && run.zChunk() < 41,
                        "expected a streamed run with axis 0 cut, got " + run);
                Engine.run(plan, in, tiled, s.withChunks(9, 11, 29));
                assertEquals(-1, mismatch(streamed, tiled), "z-cut stream != tiles: " + fs);
            }
        }
    }

    @Test
    void teamsOfThreadsStreamTheSameBytesAsTiles() {
        List<FilterSpec> specs = List.of(
                FilterSpec.gaussian(3.0),
                FilterSpec.gaussian(2.0, 1.0, 1.5).withOrder(1, 0, 2).withMode("constant").withCval(-0.5),
                FilterSpec.gaussian(1.5).withMode("wrap"),
                FilterSpec.gaussian(0.0, 2.0, 1.0).withMode("mirror"),
                FilterSpec.gaussian(1.0, 2.0, 0.0).withMode("nearest"),
                FilterSpec.of(Op.UNIFORM).withSize(5, 3, 4).withMode("grid-wrap"));
        for (long[] shape : List.of(new long[] {23, 41, 37}, new long[] {11, 13, 300}))
        try (Volume in = random(DType.F32, shape);
             Volume streamed = Volume.allocate(DType.F32, shape);
             Volume tiled = Volume.allocate(DType.F32, shape)) {
            for (FilterSpec fs : specs) {
                Plan plan = fs.plan(3);
                Schedule s = Schedule.defaults().withBackend(Backends.Kind.SIMD).withArithmetic(FLOAT32);
                Engine.run(plan, in, tiled, s.withThreads(1).withChunks(7, 9, 37));
                for (int threads : new int[] {2, 3, 5}) {
                    // more members than cores: their speeds differ, so the shares move (Team.rebalance)
                    Run run = Engine.run(plan, in, streamed, s.withThreads(threads).withStrategy(Strategy.TEAM));
                    assertTrue(run.strategy() == Strategy.TEAM && run.threads() == threads,
                            "expected a team of " + threads + ": " + run + " " + fs);
                    assertEquals(-1, mismatch(streamed, tiled), threads + " threads as a team != tiles: " + fs);
                }
            }
        }
    }

    /**
     * The double path into float64 streams on float64 slabs (SlabStore): alone, as a team, with
     * axis 0 cut, in one sweep of every term and a term at a time, all with the bytes of tiles and
     * of one pass per axis.
     */
    @Test
    void float64OutputsStreamOnDoubleSlabsWithTheBytesOfTiles() {
        doubleSlabsGiveTheBytesOfTiles(DType.F64);
    }

    /**
     * Integer outputs stream on float64 slabs too, each pass cast as scipy stores it in the output
     * and the terms folded in wrapping integer arithmetic: the bytes of the tiles, which the goldens
     * pin to scipy (uniform's running sums, whose last bits the truncation shows, keep to tiles).
     */
    @Test
    void integerOutputsStreamWithTheBytesOfTiles() {
        for (DType out : List.of(DType.U8, DType.I16, DType.U32)) {
            doubleSlabsGiveTheBytesOfTiles(out);
        }
    }

    private static void doubleSlabsGiveTheBytesOfTiles(DType outType) {
        List<FilterSpec> specs = EVERY_KIND;
        long[] shape = {23, 97, 61};
        for (DType type : List.of(DType.F64, DType.U16))
        try (Volume in = random(type, shape);
             Volume auto = Volume.allocate(outType, shape);
             Volume other = Volume.allocate(outType, shape)) {
            for (FilterSpec fs : specs) {
                Plan plan = fs.plan(3);
                for (Backends.Kind kind : GoldenParityTest.BACKENDS) {
                    // (the double path pinned: integer data under integer weights would take the
                    // float path, FloatPathChoiceTest)
                    Schedule s = Schedule.defaults().withBackend(kind).withThreads(2)
                            .withArithmetic(Schedule.Arithmetic.FLOAT64);
                    String what = kind + " " + type + " -> " + outType.numpyName() + " " + fs;
                    Run ran = Engine.run(plan, in, auto, s);
                    // integer outputs take the backend's kernel with scipy's rounding (blas: the scalar one)
                    boolean rows = (outType.isFloating() ? Backends.kernel(kind) : Backends.kernel(kind).roundedProducts())
                            .hasRows() && (outType.isFloating() || fs.op() != Op.UNIFORM);
                    assertEquals(rows, ran.strategy() == Strategy.STREAM || ran.strategy() == Strategy.TEAM,
                            "a stream where double rows exist: " + ran + " " + what);
                    Engine.run(plan, in, other, s.withChunks(7, 20, 13));
                    assertEquals(-1, mismatch(auto, other), "tiled != auto: " + what);
                    Engine.run(plan, in, other, s.withFused(false));
                    assertEquals(-1, mismatch(auto, other), "unfused != auto: " + what);
                    if (!rows) {
                        continue;
                    }
                    if (plan.terms().size() == 1 && StreamPlan.teamCannot(plan, shape, 1, 3) == null) {
                        Run team = Engine.run(plan, in, other, s.withThreads(3).withStrategy(Strategy.TEAM));
                        assertEquals(Strategy.TEAM, team.strategy(), what);
                        assertEquals(-1, mismatch(auto, other), "team != auto: " + what);
                    }
                    if (plan.terms().size() == 1 && StreamPlan.canCutAxis0(plan, StreamPlan.streamAxis(shape))) {
                        long slabs8 = StreamPlan.scratchFloats(plan, shape, StreamPlan.streamAxis(shape), 8) * 8 * 2;
                        Run cut = Engine.run(plan, in, other, s.withStrategy(Strategy.STREAM).withScratchBytes(slabs8));
                        assertTrue(cut.zChunk() > 0 && cut.zChunk() < shape[0], "axis 0 cut: " + cut + " " + what);
                        assertEquals(-1, mismatch(auto, other), "z-cut stream != auto: " + what);
                    } else {
                        Run termwise = Engine.run(plan, in, other, s.withScratchBytes(oneTermScratch(plan, shape, 8)));
                        assertEquals(Strategy.STREAM, termwise.strategy(), what);
                        assertEquals(-1, mismatch(auto, other), "term at a time != auto: " + what);
                    }
                }
            }
        }
    }

    @Test
    void inPlaceFilteringIsRefusedNotSilentlyWrong() {
        try (Volume v = random(DType.F32, 10, 20, 30)) {
            Plan plan = FilterSpec.gaussian(2.0).plan(3);
            BadParameterException e = Assertions.assertThrows(
                    BadParameterException.class, () -> Engine.run(plan, v, v, Schedule.defaults()));
            assertEquals("output: shares memory with the input; in-place filtering is not supported, give a"
                    + " separate output volume", e.getMessage());
            Volume half = v.slice(new long[] {0, 0, 0}, new long[] {10, 20, 30});
            Assertions.assertThrows(BadParameterException.class,
                    () -> Engine.run(plan, v, half, Schedule.defaults()));
        }
    }

    @Test
    void integerOutputsInBoxesAreTheWholeRunsOrRefused() {
        long[] shape = {6, 20, 30};
        long[] origin = {0, 5, 0};
        try (Volume v = random(DType.U16, shape);
             Volume whole = Volume.allocate(DType.I16, shape);
             Volume box = Volume.allocate(DType.I16, 6, 10, 30)) {
            // a box of a derivative's int16 output: the same bytes as that box of the whole run
            Plan sobel = FilterSpec.of(Op.SOBEL).withAxis(1).plan(3);
            Engine.run(sobel, v, whole, Schedule.defaults());
            Engine.run(sobel, v, origin, box, Schedule.defaults().withThreads(2));
            Assertions.assertArrayEquals(Goldens.values(whole.slice(origin, new long[] {6, 15, 30})),
                    Goldens.values(box));
            // uniform's running sums start at each line's start: a box across its lines is refused
            Plan uniform = FilterSpec.of(Op.UNIFORM).withSize(5).plan(3);
            BadParameterException e = Assertions.assertThrows(BadParameterException.class,
                    () -> Engine.run(uniform, v, origin, box, Schedule.defaults()));
            assertEquals("output: an integer output (int16) of a uniform pass on axis 1 needs whole lines of that axis (scipy's"
                    + " running sums), the box covers 10 of 20; filter whole lines or choose a float output",
                    e.getMessage());
        }
    }

    @Test
    void automaticChunksNeverCutTheContiguousAxisFirstAndFitTheBudget() {
        Schedule s = Schedule.defaults().withThreads(2);
        long[] c = s.chunksFor(new long[] {50, 1104, 1104}, new long[] {12, 12, 12}, new long[] {12, 12, 12});
        assertEquals(50, c[0]);
        assertEquals(1104, c[2]);
        assertTrue(50L * (c[1] + 24) * 1104 <= Schedule.TILE_BUDGET, Arrays.toString(c));
    }
}
