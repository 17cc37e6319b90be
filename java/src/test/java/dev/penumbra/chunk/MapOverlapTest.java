package dev.penumbra.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** dask's pattern: chunks with a halo of the plan's reach give the whole-volume bytes. */
class MapOverlapTest {
    static ExecutorService pool;

    @BeforeAll
    static void start() {
        pool = Executors.newFixedThreadPool(3);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    static Volume random(long... shape) {
        Volume v = Volume.allocate(DType.F32, shape);
        Random r = new Random(42);
        for (long i = 0; i < v.elementCount(); i++) {
            v.writeDouble(i * 4, r.nextGaussian());
        }
        return v;
    }

    static long mismatch(Volume a, Volume b) {
        return MemorySegment.mismatch(a.segment(), 0, a.byteSize(), b.segment(), 0, b.byteSize());
    }

    @Test
    void haloOfThePlansReachGivesTheWholeVolumeBytes() {
        FilterSpec[] specs = {
            FilterSpec.gaussian(2.0),
            FilterSpec.gaussian(1.0, 2.0, 0.5).withOrder(1, 0, 2).withMode("mirror"),
            FilterSpec.of(Op.UNIFORM).withSize(4, 3, 6).withMode("nearest"),
            FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(1.5).withMode("constant").withCval(0.5),
            FilterSpec.of(Op.CORRELATE1D).withWeights(1, 2, 3, 4).withAxis(1).withOrigin(-2),
        };
        long[] shape = {13, 29, 31};
        try (Volume in = random(shape); Volume whole = Volume.allocate(DType.F32, shape);
             Volume chunked = Volume.allocate(DType.F32, shape)) {
            for (FilterSpec fs : specs) {
                Plan plan = fs.plan(3);
                // chunks run one at a time compute as the whole run does when they share its arithmetic
                Schedule base = Schedule.defaults().withThreads(1);
                Schedule one = base.withArithmetic(Engine.arithmeticFor(plan, in, whole.dtype(), base));
                Engine.run(plan, in, whole, one);
                MapOverlap.run(in, chunked, new long[] {5, 10, 8}, plan, pool,
                        (inHalo, off, outCore) -> Engine.run(plan, inHalo, off, outCore, one));
                assertEquals(-1, mismatch(whole, chunked), fs.toString());
            }
        }
    }

    @Test
    void aHaloShorterThanTheRadiusShowsSeamsAsInTheNotebook() {
        long[] shape = {20, 40, 40};
        try (Volume in = random(shape); Volume whole = Volume.allocate(DType.F32, shape);
             Volume chunked = Volume.allocate(DType.F32, shape)) {
            Plan plan = FilterSpec.gaussian(3.0).plan(3);
            assertArrayEquals(new long[] {12, 12, 12}, plan.halo());
            Schedule one = Schedule.defaults().withThreads(1);
            Engine.run(plan, in, whole, one);
            MapOverlap.run(in, chunked, new long[] {20, 20, 20}, new long[] {9, 9, 9}, pool,
                    (inHalo, off, outCore) -> Engine.run(plan, inHalo, off, outCore, one));
            assertNotEquals(-1, mismatch(whole, chunked), "depth 9 < radius 12 must change the result");
        }
    }

    @Test
    void gridCoversShapesThatDoNotDivideEvenly() {
        ChunkGrid g = new ChunkGrid(new long[] {10, 7}, new long[] {4, 3});
        assertEquals(9, g.size());
        Chunk last = g.chunk(8);
        assertArrayEquals(new long[] {8, 6}, last.lo());
        assertArrayEquals(new long[] {10, 7}, last.hi());
        long covered = 0;
        for (int i = 0; i < g.size(); i++) {
            long[] s = g.chunk(i).shape();
            covered += s[0] * s[1];
        }
        assertEquals(70, covered);
    }
}
