package dev.penumbra.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.penumbra.Filters;
import dev.penumbra.TestBackends;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume bigger than the memory a run may count on ({@code penumbra.memory}, here 256 KiB) streams
 * with its input fetched a window ahead and let go behind: pages dropped and read again from the
 * file must give the bytes of a run that keeps everything, alone, as a team and in one sweep.
 */
class CrowdedMemoryTest {
    @TempDir
    Path dir;

    @BeforeEach
    void backendsRun() {
        TestBackends.assumeRunnable();
    }

    @AfterEach
    void memoryAsDetected() {
        System.clearProperty("penumbra.memory");
    }

    @Test
    void lettingTheInputGoBehindTheStreamChangesNoByte() throws Exception {
        long[] shape = {30, 160, 96}; // 1.8 MB: a quarter of 256 KiB many times over
        Path input = dir.resolve("in.npy");
        try (Volume v = ScheduleIdentityTest.random(DType.F32, shape);
             OutputFile f = OutputFile.create(input, DType.F32, shape)) {
            f.volume().segment().copyFrom(v.segment());
            f.commit();
        }
        List<FilterSpec> specs = List.of(FilterSpec.gaussian(2.0), FilterSpec.of(Op.SOBEL).withAxis(1),
                FilterSpec.of(Op.LAPLACE), FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(1.0));
        List<Schedule> schedules = List.of(Schedule.defaults().withThreads(1),
                Schedule.defaults().withThreads(2).withStrategy(Strategy.TEAM),
                Schedule.defaults().withThreads(2).withStrategy(Strategy.STREAM));
        for (FilterSpec fs : specs) {
            for (Schedule s : schedules) {
                if (s.strategy() == Strategy.TEAM && StreamPlan.teamCannot(fs.plan(3), shape, 1, 2) != null) {
                    continue; // e.g. compound plans, which stream their terms alone or in one sweep
                }
                Path roomy = dir.resolve("roomy.npy");
                Path crowded = dir.resolve("crowded.npy");
                System.clearProperty("penumbra.memory");
                Run a = Filters.applyToFile(fs, input, null, roomy, null, s);
                System.setProperty("penumbra.memory", String.valueOf(256 << 10));
                assertEquals(256 << 10, Madvise.physicalMemory());
                Run b = Filters.applyToFile(fs, input, null, crowded, null, s);
                assertEquals(a.strategy(), b.strategy(), fs + " " + s);
                assertArrayEquals(Files.readAllBytes(roomy), Files.readAllBytes(crowded), "crowded != roomy: " + fs
                        + " " + s + " (" + b + ")");
            }
        }
    }
}
