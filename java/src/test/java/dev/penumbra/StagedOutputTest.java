package dev.penumbra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.engine.Strategy;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File-to-file runs whose output is big enough to be staged ({@code OutputFile.writeOnlySink}, 16 MB up)
 * give the bytes of the same run into memory: every dtype of output, every way the engine walks
 * the volume, and a float run redone in double (which writes the whole output twice).
 */
class StagedOutputTest {
    @TempDir
    Path dir;

    private static final long[] SHAPE = {20, 960, 448}; // 34 MB of float32, 17 MB of uint16

    @BeforeEach
    void backendsRun() {
        TestBackends.assumeRunnable();
    }

    private Path input(DType t, long seed, boolean nanLate) {
        Path p = dir.resolve("in-" + t.numpyName() + "-" + seed + ".npy");
        try (OutputFile f = OutputFile.create(p, t, SHAPE)) {
            Volume v = f.volume();
            Random r = new Random(seed);
            for (long i = 0; i < v.elementCount(); i++) {
                v.writeDouble(i * t.size(), t.isFloating() ? r.nextDouble() : r.nextInt(60000));
            }
            if (nanLate) {
                // row 1 of 19200: the sample (rows 37, 112, ..) misses it, the float run reads it
                v.writeDouble((SHAPE[2] + 5) * t.size(), Double.NaN);
            }
            f.commit(false);
        }
        return p;
    }

    /**
     * The file {@code Filters.applyToFile} writes, and one written by the engine into
     * {@code OutputFile.writeOnlySink()} directly (staged whole, checked), both equal the run into memory.
     */
    private static void assertSameAsInMemory(FilterSpec fs, Path in, Path out, DType outType, Schedule s) {
        Run ran = Filters.applyToFile(fs, in, null, out, outType, s);
        try (Volume src = VolumeFiles.open(in, null);
             Volume want = Volume.allocate(DType.filterOutput(src.dtype(), outType), SHAPE)) {
            Engine.run(fs.plan(3), src, want, s);
            Path direct = out.resolveSibling("staged-" + out.getFileName());
            try (OutputFile f = OutputFile.create(direct, want.dtype(), SHAPE)) {
                Engine.run(fs.plan(3), src, f.writeOnlySink(), s);
                f.commit(true);
                long[] w = f.stagedWrites();
                assertEquals(Files.size(direct), w[0], "staged whole: " + fs + " " + s);
                assertEquals(0, w[1]);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertFileHolds(direct, want, fs + " " + s + " (staged directly)");
            assertFileHolds(out, want, fs + " " + s + " (" + ran + ")");
        }
    }

    private static void assertFileHolds(Path file, Volume want, String what) {
        MemorySegment got;
        try {
            got = MemorySegment.ofArray(Files.readAllBytes(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long header = got.byteSize() - want.byteSize();
        assertEquals(file.toString().endsWith(".npy") ? Npy.header(want.dtype(), SHAPE).length : 0, header, what);
        assertEquals(-1, got.asSlice(header).mismatch(want.segment()), what);
    }

    @Test
    void everyOutputDtypeAndStrategyGivesTheInMemoryBytes() {
        Path f32 = input(DType.F32, 1, false);
        Path u16 = input(DType.U16, 2, false);
        Path f64 = input(DType.F64, 3, false);
        List<Schedule> ways = List.of(Schedule.defaults(), Schedule.defaults().withThreads(1),
                Schedule.defaults().withThreads(2).withStrategy(Strategy.TILES));
        for (Schedule s : ways) {
            assertSameAsInMemory(FilterSpec.gaussian(2.0), f32, dir.resolve("g32.npy"), null, s);
            assertSameAsInMemory(FilterSpec.of(Op.SOBEL).withAxis(1), u16, dir.resolve("s16.npy"), DType.U16, s);
            assertSameAsInMemory(FilterSpec.of(Op.UNIFORM).withSize(5), f64, dir.resolve("u64.npy"), null, s);
            assertSameAsInMemory(FilterSpec.gaussian(1.0), u16, dir.resolve("g16.raw"), null, s);
            // compound filters: staged when durable (their terms summed in one sweep or in tiles)
            assertSameAsInMemory(FilterSpec.of(Op.LAPLACE), f32, dir.resolve("l32.npy"), null, s);
            assertSameAsInMemory(FilterSpec.of(Op.LAPLACE), u16, dir.resolve("l16.npy"), DType.U16, s);
            assertSameAsInMemory(FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(1.5), f64,
                    dir.resolve("ggm64.npy"), null, s);
        }
    }

    @Test
    void aCompoundFilterForcedToStreamAsATeamFoldsIntoTheMappedOutput() {
        // a team streams the terms one at a time, each folded into an output read back: not staged
        Path in = input(DType.F32, 6, false);
        Path out = dir.resolve("team-log.npy");
        FilterSpec fs = FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(1.0);
        Schedule team = Schedule.defaults().withThreads(2).withStrategy(Strategy.TEAM);
        Filters.applyToFile(fs, in, null, out, null, team);
        try (Volume src = VolumeFiles.open(in, null); Volume got = VolumeFiles.mapNpy(out);
             Volume want = Volume.allocate(DType.F32, SHAPE)) {
            Engine.run(fs.plan(3), src, want, team);
            assertEquals(-1, got.segment().mismatch(want.segment()));
        }
    }

    @Test
    void aCompoundFloatRunRedoneInDoubleLeavesOnlyTheDoubleResult() {
        Path in = input(DType.F32, 5, true);
        Path out = dir.resolve("redone-log.npy");
        FilterSpec fs = FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(1.0);
        Run ran = Filters.applyToFile(fs, in, null, out, null, Schedule.defaults());
        assertTrue(ran.redone(), ran.why());
        try (Volume src = VolumeFiles.open(in, null); Volume got = VolumeFiles.mapNpy(out);
             Volume want = Volume.allocate(DType.F32, SHAPE)) {
            Engine.run(fs.plan(3), src, want, Schedule.defaults().withArithmetic(Schedule.Arithmetic.FLOAT64));
            assertEquals(-1, got.segment().mismatch(want.segment()));
        }
    }

    @Test
    void aFloatRunRedoneInDoubleLeavesOnlyTheDoubleResult() {
        Path in = input(DType.F32, 4, true);
        Path out = dir.resolve("redone.npy");
        Run ran = Filters.applyToFile(FilterSpec.gaussian(1.0), in, null, out, null, Schedule.defaults());
        assertTrue(ran.redone(), ran.why());
        try (Volume src = VolumeFiles.open(in, null); Volume got = VolumeFiles.mapNpy(out);
             Volume want = Volume.allocate(DType.F32, SHAPE)) {
            Engine.run(FilterSpec.gaussian(1.0).plan(3), src, want,
                    Schedule.defaults().withArithmetic(Schedule.Arithmetic.FLOAT64));
            assertEquals(-1, got.segment().mismatch(want.segment()));
        }
    }
}
