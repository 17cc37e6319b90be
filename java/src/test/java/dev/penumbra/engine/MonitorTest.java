package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.Filters;
import dev.penumbra.PenumbraException;
import dev.penumbra.backend.Backends;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import dev.penumbra.volume.Volume;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a {@link Monitor} sees of a run, progress to the end, and cancellation within a batch. */
class MonitorTest {
    @TempDir
    Path dir;

    private static final Schedule SIMD = Schedule.defaults().withBackend(Backends.Kind.SIMD)
            .withArithmetic(Schedule.Arithmetic.FLOAT32);

    @Test
    void aStreamedTeamRunReportsEveryPhaseAndAllItsElements() {
        Plan plan = FilterSpec.gaussian(2.0).plan(3);
        try (Volume in = ScheduleIdentityTest.random(DType.F32, 12, 40, 50);
             Volume out = Volume.allocate(DType.F32, in.shape())) {
            AtomicLong last = new AtomicLong(-1);
            Monitor m = new Monitor((done, total) -> last.accumulateAndGet(done, Math::max));
            Engine.run(plan, in, out, SIMD.withThreads(2).withStrategy(Strategy.TEAM).withMonitor(m));
            assertTrue(m.team() && m.floatPath() && m.workers() == 2, m.workers() + " " + m.team());
            for (Monitor.Phase p : new Monitor.Phase[] {Monitor.Phase.GATHER, Monitor.Phase.BEFORE,
                    Monitor.Phase.STREAM, Monitor.Phase.AFTER, Monitor.Phase.WRITE}) {
                assertTrue(m.nanos(p) > 0, p + " not timed");
            }
            assertEquals(0, m.nanos(Monitor.Phase.TILES));
            assertEquals(in.elementCount(), m.total());
            assertEquals(in.elementCount(), m.done());
            assertEquals(in.elementCount(), last.get());
            assertEquals(2, m.spans().stream().mapToInt(Monitor.Span::worker).distinct().count());
        }
    }

    @Test
    void aTiledRunReportsEachTile() {
        Plan plan = FilterSpec.gaussian(1.0).plan(3);
        try (Volume in = ScheduleIdentityTest.random(DType.F32, 9, 20, 30);
             Volume out = Volume.allocate(DType.F32, in.shape())) {
            Monitor m = new Monitor();
            Engine.run(plan, in, out, SIMD.withThreads(2).withChunks(5, 7, 30).withMonitor(m));
            assertEquals(2 * 3, m.chunks());
            assertEquals(6, m.spans().size());
            assertTrue(m.spans().stream().allMatch(s -> s.endNanos() >= s.startNanos() && s.what().startsWith("tile ")));
            assertTrue(m.nanos(Monitor.Phase.TILES) > 0);
            assertEquals(in.elementCount(), m.done());
            // one pass per axis: three runs' worth of progress
            Monitor u = new Monitor();
            Engine.run(plan, in, out, SIMD.withFused(false).withMonitor(u));
            assertEquals(3 * in.elementCount(), u.total());
            assertEquals(3 * in.elementCount(), u.done());
        }
    }

    @Test
    void interruptingTheCallerStopsWithinABatchAndLeavesNoOutput() throws Exception {
        Path input = dir.resolve("in.npy");
        Path output = dir.resolve("out.npy");
        try (Volume v = ScheduleIdentityTest.random(DType.F32, 24, 300, 200)) {
            Files.write(input, Npy.header(DType.F32, v.shape()));
            try (var ch = FileChannel.open(input, StandardOpenOption.APPEND)) {
                ch.write(v.segment().asByteBuffer());
            }
        }
        Thread caller = Thread.currentThread();
        AtomicLong seenAtStop = new AtomicLong();
        Monitor m = new Monitor((done, total) -> {
            if (done >= total / 4 && seenAtStop.compareAndSet(0, done)) {
                caller.interrupt(); // as a user's cancel would
            }
        });
        try {
            PenumbraException e = assertThrows(PenumbraException.class, () -> Filters.applyToFile(
                    FilterSpec.gaussian(3.0), input, null, output, null, SIMD.withThreads(2).withMonitor(m)));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        } finally {
            Thread.interrupted(); // clear the flag for the next test
        }
        assertTrue(m.done() < m.total(), m.done() + " of " + m.total());
        assertFalse(Files.exists(output));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(input), s.toList(), "no temporary output left");
        }
        // the input and the output's temporary file are unmapped
        String maps = Files.readString(Path.of("/proc/self/maps"));
        assertFalse(maps.contains(dir.toString()), "a mapping under " + dir + " is still there");
    }
}
