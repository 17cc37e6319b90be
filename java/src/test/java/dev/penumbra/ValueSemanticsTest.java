package dev.penumbra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.penumbra.backend.Backends;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.engine.Schedule;
import dev.penumbra.engine.Strategy;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The public records that hold arrays behave as values: equal content is equal (and hashes alike),
 * and what an accessor hands out cannot change the record.
 */
class ValueSemanticsTest {
    @Test
    void filterSpecsCompareByTheirParameters() {
        assertEquals(FilterSpec.gaussian(3), FilterSpec.gaussian(3));
        assertEquals(FilterSpec.gaussian(3).hashCode(), FilterSpec.gaussian(3).hashCode());
        assertEquals(FilterSpec.gaussian(1, 2, 3).withMode("grid-mirror"), FilterSpec.gaussian(1, 2, 3)
                .withMode(BoundaryMode.REFLECT));
        assertNotEquals(FilterSpec.gaussian(3), FilterSpec.gaussian(3).withOrder(1));
        assertNotEquals(FilterSpec.of(Op.UNIFORM).withSize(3), FilterSpec.of(Op.UNIFORM).withSize(5));
        FilterSpec f = FilterSpec.gaussian(3).withMode(BoundaryMode.WRAP);
        f.sigma()[0] = 99;
        f.mode()[0] = BoundaryMode.CONSTANT;
        assertEquals(FilterSpec.gaussian(3).withMode(BoundaryMode.WRAP), f);
        assertEquals("gaussian sigma=[3.0] order=[0] truncate=4.0 mode=wrap", f.toString());
    }

    @Test
    void schedulesCompareByTheirSettings() {
        Schedule a = Schedule.defaults().withThreads(2).withBackend(Backends.Kind.SCALAR).withChunks(4, 5, 6);
        Schedule b = Schedule.defaults().withThreads(2).withBackend(Backends.Kind.SCALAR).withChunks(4, 5, 6);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, b.withStrategy(Strategy.TILES));
        assertNotEquals(a, b.withScratchBytes(1 << 20));
        a.chunkShape()[0] = 99;
        assertArrayEquals(new long[] {4, 5, 6}, a.chunkShape());
        assertEquals("Schedule[chunks [4, 5, 6], 2 threads, scalar, tiles]", a.withStrategy(Strategy.TILES).toString());
        assertEquals(a.withFused(false).strategy(), Strategy.UNFUSED);
        assertEquals(a.withFused(false).withFused(true).strategy(), Strategy.AUTO);
    }

    @Test
    void chunksAndRawLayoutsAreValues() {
        Chunk c = new Chunk(3, new long[] {0, 4}, new long[] {2, 8});
        assertEquals(new Chunk(3, new long[] {0, 4}, new long[] {2, 8}), c);
        assertEquals(new Chunk(3, new long[] {0, 4}, new long[] {2, 8}).hashCode(), c.hashCode());
        c.lo()[1] = 7;
        assertEquals(4, c.lo(1));
        RawLayout r = new RawLayout(DType.U16, ByteOrder.BIG_ENDIAN, new long[] {5, 6}, 16);
        assertEquals(new RawLayout(DType.U16, ByteOrder.BIG_ENDIAN, new long[] {5, 6}, 16), r);
        assertNotEquals(new RawLayout(DType.U16, ByteOrder.LITTLE_ENDIAN, new long[] {5, 6}, 16), r);
        r.shape()[0] = 1;
        assertArrayEquals(new long[] {5, 6}, r.shape());
    }
}
