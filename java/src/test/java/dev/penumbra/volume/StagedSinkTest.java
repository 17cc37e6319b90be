package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.OutputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output sink that stages whole segments of the file ({@link StagedSink}): whatever order and
 * threads the rows come in, the file holds exactly what was written, with the .npy header and
 * length a mapped output has; staging beyond its cap, rows written twice and a whole rewrite (a
 * float run redone in double) are written row by row and still land.
 */
class StagedSinkTest {
    @TempDir
    Path dir;

    private static final long[] SHAPE = {9, 125, 1031}; // 4.6 MB of float32: two whole 2 MiB blocks

    private static float value(long i, int round) {
        return (float) (Math.sin(i * 0.001) * 1000 + round * 7);
    }

    /** Every row of the shape, as {z, y}, shuffled. */
    private static List<long[]> rows(long seed) {
        List<long[]> rows = new ArrayList<>();
        for (long z = 0; z < SHAPE[0]; z++) {
            for (long y = 0; y < SHAPE[1]; y++) {
                rows.add(new long[] {z, y, 0});
            }
        }
        Collections.shuffle(rows, new Random(seed));
        return rows;
    }

    /** Writes the rows from {@code threads} threads of its own, row r by thread r % threads. */
    private static void write(Sink sink, List<long[]> rows, int round, int threads) {
        int nx = (int) SHAPE[2];
        Thread[] t = new Thread[threads];
        Throwable[] failed = new Throwable[1];
        for (int i = 0; i < threads; i++) {
            int first = i;
            t[i] = new Thread(() -> {
                float[] row = new float[nx + 5];
                for (int r = first; r < rows.size(); r += threads) {
                    long[] at = rows.get(r);
                    long base = (at[0] * SHAPE[1] + at[1]) * nx;
                    for (int x = 0; x < nx; x++) {
                        row[x + 5] = value(base + x, round);
                    }
                    sink.writeFloat(at, nx, row, 5);
                }
            });
            t[i].setUncaughtExceptionHandler((th, e) -> failed[0] = e);
            t[i].start();
        }
        for (Thread x : t) {
            try {
                x.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        if (failed[0] != null) {
            throw new AssertionError(failed[0]);
        }
    }

    private static void assertHolds(Path file, int round, DType dtype) {
        try (Volume v = VolumeFiles.mapNpy(file)) {
            assertEquals(dtype, v.dtype());
            assertEquals(java.util.Arrays.toString(SHAPE), java.util.Arrays.toString(v.shape()));
            for (long i = 0; i < v.elementCount(); i++) {
                double want = dtype == DType.F32 ? value(i, round) : (double) value(i, round);
                if (v.readDouble(i * dtype.size()) != want) {
                    throw new AssertionError("element " + i + ": " + v.readDouble(i * dtype.size()) + " != " + want);
                }
            }
        }
    }

    private long files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void rowsInAnyOrderFromSeveralThreadsGiveTheWholeFile() throws Exception {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            Path target = dir.resolve("out-" + t.numpyName() + ".npy");
            long[] written;
            try (OutputFile out = OutputFile.create(target, t, SHAPE)) {
                Sink sink = out.writeOnlySink(0, StagedSink.maxLive());
                assertInstanceOf(StagedSink.class, sink);
                write(sink, rows(1), 0, 4);
                out.commit(true);
                written = out.stagedWrites();
            }
            long data = SHAPE[0] * SHAPE[1] * SHAPE[2] * t.size();
            assertEquals(Npy.header(t, SHAPE).length + data, Files.size(target), "exact length, no padding");
            assertEquals(Files.size(target), written[0] + written[1]);
            assertHolds(target, 0, t);
        }
        assertEquals(2, files(), "nothing temporary left");
    }

    /**
     * A stream along y over many z planes (a team's order: eight rows of every plane a batch) keeps
     * every segment staged, none written row by row: the cap follows the output's planes
     * ({@link StagedSink#maxLive(long[])}), beyond the fixed cap of {@link StagedSink#maxLive()}.
     */
    @Test
    void aStreamOverManyPlanesStaysStaged() {
        long[] shape = {1200, 16, 1024}; // 75 MB of float32; each batch leaves a segment open in every plane
        assertTrue(StagedSink.maxLive(shape) >= 2 * shape[0], "room for two segments a plane");
        assertTrue(StagedSink.maxLive() < shape[0], "more than the fixed cap: the test would write rows otherwise");
        Path target = dir.resolve("planes.npy");
        int nx = (int) shape[2];
        float[] row = new float[nx];
        try (OutputFile out = OutputFile.create(target, DType.F32, shape)) {
            Sink sink = out.writeOnlySink(0, StagedSink.maxLive(shape));
            assertInstanceOf(StagedSink.class, sink);
            for (long y0 = 0; y0 < shape[1]; y0 += 8) {
                for (long z = 0; z < shape[0]; z++) {
                    for (long y = y0; y < y0 + 8; y++) {
                        java.util.Arrays.fill(row, z * 100 + y);
                        sink.writeFloat(new long[] {z, y, 0}, nx, row, 0);
                    }
                }
            }
            out.commit(false);
            assertEquals(0, out.stagedWrites()[1], "no row written on its own");
        }
        try (Volume v = VolumeFiles.mapNpy(target)) {
            for (long z = 0; z < shape[0]; z += 97) {
                for (long y = 0; y < shape[1]; y += 5) {
                    assertEquals(z * 100 + y, v.getDouble(z, y, nx - 1), 0.0);
                }
            }
        }
    }

    @Test
    void beyondItsStagingCapSegmentsGoThroughThePageCache() {
        Path target = dir.resolve("capped.npy");
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            Sink sink = out.writeOnlySink(0, 2);
            assertInstanceOf(StagedSink.class, sink);
            write(sink, rows(2), 0, 3);
            out.commit(false);
            assertTrue(out.stagedWrites()[1] > 0, "some segments were written row by row");
        }
        assertHolds(target, 0, DType.F32);
    }

    @Test
    void aRewriteAfterBeforeRewriteReplacesEverythingWritten() {
        Path target = dir.resolve("redone.npy");
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            Sink sink = out.writeOnlySink(0, StagedSink.maxLive());
            List<long[]> first = rows(3);
            write(sink, first.subList(0, first.size() * 2 / 3), 1, 2); // a run that stopped two thirds in
            sink.beforeRewrite();
            write(sink, rows(4), 2, 2);
            out.commit(true);
        }
        assertHolds(target, 2, DType.F32);
    }

    @Test
    void rowsWrittenAgainAfterTheirSegmentWentToTheDiskLand() throws Exception {
        Path target = dir.resolve("twice.npy");
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            Sink sink = out.writeOnlySink(0, StagedSink.maxLive());
            write(sink, rows(5), 0, 2);
            assertEquals(Files.size(out.temp()), out.stagedWrites()[0], "the first pass is staged whole");
            assertEquals(0, out.stagedWrites()[1]);
            write(sink, rows(6), 3, 2);
            out.commit(true);
            assertTrue(out.stagedWrites()[1] > 0, "the second pass is written row by row");
        }
        assertHolds(target, 3, DType.F32);
    }

    @Test
    void anAbandonedOutputLeavesNothingAndKeepsTheOldFile() throws Exception {
        Path target = dir.resolve("kept.npy");
        Files.writeString(target, "previous result");
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            Sink sink = out.writeOnlySink(0, StagedSink.maxLive());
            List<long[]> all = rows(7);
            write(sink, all.subList(0, all.size() / 2), 0, 2);
            // no commit: the run failed
        }
        assertEquals("previous result", Files.readString(target));
        assertEquals(1, files());
    }

    @Test
    void aRunThatLeftBytesUnwrittenIsNotKept() throws Exception {
        Path target = dir.resolve("holes.npy");
        Files.writeString(target, "previous result");
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            Sink sink = out.writeOnlySink(0, StagedSink.maxLive());
            List<long[]> all = rows(8);
            write(sink, all.subList(0, all.size() - 3), 0, 2);
            OutputException e = assertThrows(OutputException.class, () -> out.commit(true));
            assertTrue(e.getMessage().startsWith(target + ": cannot finish the output (" + target + ": the run left "),
                    e.getMessage());
        }
        assertEquals("previous result", Files.readString(target));
        assertEquals(1, files());
    }

    private static List<long[]> inOrder(List<long[]> rows) {
        List<long[]> sorted = new ArrayList<>(rows);
        sorted.sort(java.util.Comparator.<long[]>comparingLong(r -> r[0]).thenComparingLong(r -> r[1]));
        return sorted;
    }

    /** Polls until {@code sink} has forced the file at least once (its syncer is a thread of its own). */
    private static void awaitSync(StagedSink sink) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (sink.syncs() == 0 && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(sink.syncs() > 0, "the file was forced while it was written");
    }

    @Test
    void aDurableOutputIsForcedAsItIsWrittenAndWholeAtTheEnd() throws Exception {
        Path target = dir.resolve("synced.npy");
        StagedSink sink;
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            sink = assertInstanceOf(StagedSink.class, out.writeOnlySink(0, StagedSink.maxLive(), 256 << 10));
            assertTrue(sink.syncing());
            List<long[]> all = inOrder(rows(9)); // (segments complete as they go)
            write(sink, all.subList(0, all.size() / 2), 0, 2);
            awaitSync(sink);
            write(sink, all.subList(all.size() / 2, all.size()), 0, 2);
            out.commit(true);
            assertEquals(Files.size(target), out.stagedWrites()[0], "all staged, none row by row");
        }
        assertTrue(!sink.syncing(), "the syncer stopped with the commit");
        assertHolds(target, 0, DType.F32);
        assertEquals(1, files());
    }

    @Test
    void anAbandonedDurableOutputStopsItsSyncerAndLeavesNothing() throws Exception {
        Path target = dir.resolve("synced-kept.npy");
        Files.writeString(target, "previous result");
        StagedSink sink;
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            sink = assertInstanceOf(StagedSink.class, out.writeOnlySink(0, StagedSink.maxLive(), 256 << 10));
            List<long[]> all = inOrder(rows(10));
            write(sink, all.subList(0, all.size() / 2), 0, 2);
            awaitSync(sink);
            // no commit: the run failed
        }
        assertTrue(!sink.syncing(), "the syncer stopped with the close");
        assertEquals("previous result", Files.readString(target));
        assertEquals(1, files());
    }

    @Test
    void outputsUnderTwoStepsAreForcedOnlyAtTheEnd() {
        try (OutputFile out = OutputFile.create(dir.resolve("short.npy"), DType.F32, SHAPE)) {
            StagedSink sink = assertInstanceOf(StagedSink.class, out.writeOnlySink(0, StagedSink.maxLive(), 4L << 20));
            assertTrue(!sink.syncing());
        }
    }

    @Test
    void smallOutputsStayMapped() {
        Path target = dir.resolve("small.npy");
        try (OutputFile out = OutputFile.create(target, DType.F32, SHAPE)) {
            assertInstanceOf(Volume.class, out.writeOnlySink());
            assertEquals(null, out.stagedWrites());
        }
    }
}
