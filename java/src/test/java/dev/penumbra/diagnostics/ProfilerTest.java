package dev.penumbra.diagnostics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.TestNpy;
import dev.penumbra.engine.Monitor;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.zarr.ZarrOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile of a real run, and each rule of the verdict. */
class ProfilerTest {
    @TempDir
    Path dir;

    static Path npy(Path dir, long... shape) throws Exception {
        Random r = new Random(3);
        return TestNpy.writeF32(dir.resolve("in.npy"), shape, i -> r.nextDouble());
    }

    @Test
    void aProfileAccountsForTheRunAndLeavesNothingBehind() throws Exception {
        Path in = npy(dir, 12, 60, 70);
        Profiler.Report r = Profiler.profile(FilterSpec.gaussian(2.0), in, null, Schedule.defaults().withThreads(2));
        assertArrayEquals(new long[] {12, 60, 70}, r.shape());
        assertEquals(12 * 60 * 70 * 4L, r.bytesRead());
        assertEquals(r.bytesRead(), r.bytesWritten());
        assertTrue(r.filterMs() > 0 && r.memFloorMs() > 0 && r.fmaFloorMs() > 0, r.text());
        assertTrue(r.floatPath(), "data in [0, 1) smooths on the float path");
        double phases = r.phaseMs().values().stream().mapToDouble(Double::doubleValue).sum();
        assertTrue(phases > 0, r.text());
        assertTrue(r.busy().length >= 1 && r.busy().length <= r.threads(), r.text());
        assertTrue(r.residentBefore() > 0.99, "the file was just written: " + r.residentBefore());
        assertTrue(r.text().contains("verdict: ") && r.json().contains("\"verdict\":\""), r.text());
        assertTrue(r.json().startsWith("{\"spec\":\"gaussian") && r.json().contains("\"shape\":[12,60,70]"), r.json());
        // two threads: the kernel's own scaling is measured beside the run, and reported
        assertTrue(r.kernelScaling() != null && r.kernelScaling().threads() == 2 && r.kernelScaling().scaling() > 0,
                r.text());
        assertTrue(r.text().contains("scaling: the " + r.backend() + " kernel alone") && r.json().contains(
                "\"kernel_scaling\":"), r.text());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(in), s.toList(), "the profile's output is removed");
        }
    }

    @Test
    void aZarrProfileReportsDecodingAndEncodingAndLeavesNothingBehind() throws Exception {
        Path in = Path.of("src/test/resources/zarr/v2_f8_gzip");
        Profiler.Report r = Profiler.profile(FilterSpec.gaussian(1.0), in, null, null,
                new ZarrOutput(3, new long[] {4, 8, 8}, "zstd:3"), Schedule.defaults().withThreads(2));
        assertTrue(r.containers() != null && r.containers().decodeMs() > 0 && r.containers().encodeMs() > 0, r.text());
        assertTrue(r.text().contains("containers: in zarr v2 float64") && r.text().contains("out zarr v3 chunks [4, 8, 8]"
                + " zstd:3; decoding input chunks "), r.text());
        assertTrue(r.json().contains("\"decode_share\":") && r.json().contains("\"encode_share\":"), r.json());
        assertTrue(r.residentBefore() < 0 && r.text().contains("page cache before the run: unknown"), r.text());
        try (Stream<Path> s = Files.list(in.getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".penumbra-")), "nothing left");
        }
        // a mapped input into a Zarr output: only the output's side is a container
        Path npy = npy(dir, 6, 20, 30);
        Profiler.Report m = Profiler.profile(FilterSpec.gaussian(1.0), npy, null, null, ZarrOutput.defaults(),
                Schedule.defaults().withThreads(1));
        assertTrue(m.containers().decodeMs() == 0 && m.containers().encodeMs() > 0
                && m.text().contains("containers: input mapped, out zarr v3 chunks [6, 20, 30] zstd:3"), m.text());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(npy), s.toList(), "the profile's output is removed");
        }
    }

    private static Map<Monitor.Phase, Double> phases(double gather, double wait, double rest) {
        Map<Monitor.Phase, Double> m = new EnumMap<>(Monitor.Phase.class);
        for (Monitor.Phase p : Monitor.Phase.values()) {
            m.put(p, 0.0);
        }
        m.put(Monitor.Phase.GATHER, gather);
        m.put(Monitor.Phase.WAIT, wait);
        m.put(Monitor.Phase.STREAM, rest);
        return m;
    }

    @Test
    void theVerdictNamesWhatBoundTheRun() {
        Monitor mon = new Monitor();
        double[] busy = {0.98, 0.97};
        assertTrue(Profiler.verdict(0.2, phases(60, 0, 40), busy, 0.1, 0.1, mon, null).startsWith("I/O-bound: 80 % of the"));
        assertTrue(Profiler.verdict(1, phases(60, 0, 40), busy, 0.1, 0.1, mon, null).startsWith("mapping-bound: gathering"));
        assertTrue(Profiler.verdict(1, phases(10, 40, 50), busy, 0.1, 0.1, mon, null).startsWith("parallel overhead:"));
        assertTrue(Profiler.verdict(1, phases(10, 0, 90), new double[] {0.99, 0.4}, 0.1, 0.1, mon, null)
                .startsWith("parallel overhead: the least busy thread worked 40 %"));
        assertEquals("memory-bound: 82 % of stream bandwidth (a copy of the same bytes)",
                Profiler.verdict(1, phases(10, 0, 90), busy, 0.82, 0.1, mon, null));
        assertEquals("compute-bound: 70 % of the FMA floor", Profiler.verdict(1, phases(10, 0, 90), busy, 0.2, 0.7, mon, null));
        assertTrue(Profiler.verdict(1, phases(10, 0, 90), busy, 0.08, 0.16, mon, null)
                .startsWith("load-bound in cache: 16 % of the FMA floor and 8 % of stream bandwidth, the most time in"
                        + " streamed-axis pass (y) (90 %): the passes wait on loads"));
        // two threads whose kernel alone gains 1.1x share a core: that, not the team, caps the run
        KernelScaling.Result shared = new KernelScaling.Result(2, 1e9, 1.1e9);
        assertEquals("shared core: the kernel alone runs only 1.10x faster on 2 threads than on 1 (in-cache data,"
                + " no memory traffic), so the threads shared one core's load ports (SMT siblings, or a host that"
                + " placed both vCPUs on one core); team waits took 40 % of the threads' time",
                Profiler.verdict(1, phases(10, 40, 50), busy, 0.1, 0.1, mon, shared));
        // the profile of 6 GiB in a 3 GiB cgroup: gather 39 %, write 42 %, the passes the rest
        Map<Monitor.Phase, Double> outOfCore = phases(39, 0, 19);
        outOfCore.put(Monitor.Phase.WRITE, 42.0);
        assertEquals("file-bound: gathering the input (39 %) and writing the output (42 %) took 81 % of the threads'"
                + " time: page faults, reads from disk and write-back, not the filter (100 % of the input was not in"
                + " the page cache)", Profiler.verdict(0, outOfCore, busy, 0.01, 0.01, mon, null));
        KernelScaling.Result own = new KernelScaling.Result(2, 1e9, 1.96e9);
        assertTrue(Profiler.verdict(1, phases(10, 40, 50), busy, 0.1, 0.1, mon, own).startsWith("parallel overhead:"));
    }
}
