package dev.penumbra.diagnostics;

import dev.penumbra.backend.Backends;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Monitor;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a filter file to file and says why it took as long as it did: time per phase, threads'
 * busy shares, chunks, bytes, and — measured in the same process — the two floors for this job:
 * a streaming copy of the same bytes with the same threads (memory) and the plan's folded
 * multiply-adds at the FMA peak of this CPU (compute). The seed notebook asked exactly this of
 * dask ("400 % CPU bought 20-30 %").
 */
public final class Profiler {
    private Profiler() {
    }

    /** What a profile found; {@link #text()} and {@link #json()} render it. */
    public record Report(String spec, Path input, long[] shape, DType dtype, String backend, int threads,
                         boolean floatPath, boolean redone, String pathWhy, double residentBefore, double mapMs, double firstRunMs,
                         int warmups,
                         double filterMs, double forceMs, Map<Monitor.Phase, Double> phaseMs, double[] busy,
                         int chunks, int tasks, boolean team, long bytesRead, long bytesWritten, double memFloorMs,
                         double fmaFloorMs, double fmasPerVoxel, double fmaRatePerThread,
                         KernelScaling.Result kernelScaling, List<Monitor.Span> spans, String verdict) {
        public Report {
            shape = shape.clone();
            busy = busy.clone();
            phaseMs = Collections.unmodifiableMap(new EnumMap<>(phaseMs));
            spans = List.copyOf(spans);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public double[] busy() {
            return busy.clone();
        }

        /** Every component, arrays as lists: what equality and hashing compare. */
        private List<Object> content() {
            return Arrays.asList(spec, input, Arrays.stream(shape).boxed().toList(), dtype, backend, threads, floatPath,
                    redone, pathWhy, residentBefore, mapMs, firstRunMs, warmups, filterMs, forceMs, phaseMs,
                    Arrays.stream(busy).boxed().toList(), chunks, tasks, team, bytesRead, bytesWritten, memFloorMs,
                    fmaFloorMs, fmasPerVoxel, fmaRatePerThread, kernelScaling, spans, verdict);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Report r && content().equals(r.content());
        }

        @Override
        public int hashCode() {
            return content().hashCode();
        }

        @Override
        public String toString() {
            return "Profiler.Report" + content();
        }

        /** Input plus output bytes per second of the filter, in GB/s. */
        public double gbPerS() {
            return (bytesRead + bytesWritten) / (filterMs / 1e3) / 1e9;
        }

        /** The memory floor as a share of the filter time. */
        public double memShare() {
            return memFloorMs / filterMs;
        }

        /** The FMA floor as a share of the filter time. */
        public double fmaShare() {
            return fmaFloorMs / filterMs;
        }

        /** The report as the profile command prints it. */
        public String text() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "profile: %s on %s %s %s, %.0f MB; %s, %d threads, %s path%s%n", spec,
                    input.getFileName(), shapeText(shape), dtype.numpyName(), bytesRead / 1e6, backend, threads,
                    floatPath ? "float32" : "double", pathWhy.isEmpty() ? "" : ": " + pathWhy));
            b.append(String.format(Locale.ROOT, "input in the page cache before the run: %s%n",
                    residentBefore < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f %%", 100 * residentBefore)));
            b.append(String.format(Locale.ROOT, "map %.1f ms · first run %.1f ms (cold JIT; %d warm-up runs in all) ·"
                    + " filter %.1f ms (best of 3 warm runs) · force to disk %.1f ms%n", mapMs, firstRunMs, warmups,
                    filterMs, forceMs));
            double sum = phaseMs.values().stream().mapToDouble(Double::doubleValue).sum();
            b.append(String.format(Locale.ROOT, "%-46s %10s %7s%n", "phase (summed over threads)", "ms", "share"));
            for (Map.Entry<Monitor.Phase, Double> e : phaseMs.entrySet()) {
                if (e.getValue() > 0) {
                    b.append(String.format(Locale.ROOT, "  %-44s %10.1f %6.0f %%%n", e.getKey().label, e.getValue(),
                            100 * e.getValue() / sum));
                }
            }
            StringBuilder busyText = new StringBuilder();
            for (double x : busy) {
                busyText.append(busyText.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f %%", 100 * x));
            }
            b.append(String.format(Locale.ROOT, "threads: %d busy %s of the filter time; %d chunk%s, %d tasks%s"
                    + " (the notebook's dask run: 109 tasks for 4 chunks)%n", busy.length, busyText, chunks,
                    chunks == 1 ? "" : "s", tasks, team ? ", streamed by the threads as one team" : ""));
            if (kernelScaling != null) {
                b.append("scaling: ").append(kernelScaling.text(backend)).append('\n');
            }
            b.append(String.format(Locale.ROOT, "bytes: %.0f MB read + %.0f MB written in %.1f ms = %.2f GB/s%n",
                    bytesRead / 1e6, bytesWritten / 1e6, filterMs, gbPerS()));
            b.append(String.format(Locale.ROOT, "floors: memory (copy of the same bytes, %d threads) %.1f ms = %.0f %%"
                    + " of this run; FMA (%.0f folded FMAs a voxel at %.1f G/s a thread) %.1f ms = %.0f %%%n", threads,
                    memFloorMs, 100 * memShare(), fmasPerVoxel, fmaRatePerThread / 1e9, fmaFloorMs, 100 * fmaShare()));
            b.append("verdict: ").append(verdict).append('\n');
            return b.toString();
        }

        /** The report as one JSON object ({@code profile --json}). */
        public String json() {
            Json.Obj phases = Json.object();
            for (Map.Entry<Monitor.Phase, Double> e : phaseMs.entrySet()) {
                phases.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue(), 2);
            }
            Json.Obj o = Json.object().put("spec", spec).put("input", input.toString()).put("shape", shape)
                    .put("dtype", dtype.numpyName()).put("backend", backend).put("threads", threads)
                    .put("float_path", floatPath).put("redone_in_double", redone).put("path_why", pathWhy)
                    .put("resident_before", residentBefore, 3).put("map_ms", mapMs, 2).put("first_run_ms", firstRunMs, 2)
                    .put("warmup_runs", warmups).put("filter_ms", filterMs, 2).put("force_ms", forceMs, 2)
                    .put("phase_ms", phases).put("busy", busy, 3).put("chunks", chunks).put("tasks", tasks)
                    .put("team", team).put("bytes_read", bytesRead).put("bytes_written", bytesWritten)
                    .put("gb_per_s", gbPerS(), 3).put("memory_floor_ms", memFloorMs, 2)
                    .put("memory_floor_share", memShare(), 3).put("fma_floor_ms", fmaFloorMs, 2)
                    .put("fma_floor_share", fmaShare(), 3);
            if (kernelScaling != null) {
                o.put("kernel_scaling", kernelScaling.scaling(), 3);
            }
            return o.put("verdict", verdict).toString();
        }
    }

    /**
     * Profiles {@code spec} on {@code input} (raw with {@code raw}, else .npy) into a temporary file
     * beside it (or in {@code java.io.tmpdir} when that directory is not writable), deleted
     * afterwards: warm-up runs until the time settles (JIT), the best of three watched runs, then the
 * force to disk.
     */
    public static Report profile(FilterSpec spec, Path input, RawLayout raw, Schedule schedule) {
        // the kernel's own scaling first, before the runs' JIT compilation competes for a core
        FloatTileKernel fk = Backends.floatKernel(schedule.backend());
        KernelScaling.Result scaling = schedule.threads() > 1 && fk != null
                ? KernelScaling.measure(fk, schedule.threads(), 100) : null;
        long t0 = System.nanoTime();
        try (Volume in = VolumeFiles.open(input, raw)) {
            double mapMs = (System.nanoTime() - t0) / 1e6;
            double resident = Madvise.residentFraction(in.segment());
            Plan plan = spec.plan(in.rank());
            DType dt = DType.filterOutput(in.dtype(), null);
            Path dir = input.toAbsolutePath().normalize().getParent();
            if (dir == null || !Files.isWritable(dir)) {
                dir = Path.of(System.getProperty("java.io.tmpdir"));
            }
            Path target = dir.resolve(".penumbra-profile-" + ProcessHandle.current().pid() + ".out");
            double firstMs;
            double filterMs;
            double forceMs;
            Monitor mon = null;
            Run ran = null;
            int warmups = 0;
            try (OutputFile out = OutputFile.create(target, dt, in.shape())) {
                // warm up until a run is no longer 5 % faster than the one before (JIT compilation
                // threads compete for the cores until then), at most 8 runs
                long a = System.nanoTime();
                Engine.run(plan, in, out.volume(), schedule);
                firstMs = (System.nanoTime() - a) / 1e6;
                double prev = firstMs;
                for (warmups = 1; warmups < 8; warmups++) {
                    long w = System.nanoTime();
                    Engine.run(plan, in, out.volume(), schedule);
                    double ms = (System.nanoTime() - w) / 1e6;
                    if (ms > 0.95 * prev) {
                        warmups++;
                        break;
                    }
                    prev = ms;
                }
                // the best of three measured runs, each watched
                filterMs = Double.MAX_VALUE;
                for (int r = 0; r < 3; r++) {
                    Monitor m = new Monitor(null, true);
                    long b = System.nanoTime();
                    Run run = Engine.run(plan, in, out.volume(), schedule.withMonitor(m));
                    double ms = (System.nanoTime() - b) / 1e6;
                    if (ms < filterMs) {
                        filterMs = ms;
                        mon = m;
                        ran = run;
                    }
                }
                long c = System.nanoTime();
                out.commit();
                forceMs = (System.nanoTime() - c) / 1e6;
            } finally {
                try {
                    Files.deleteIfExists(target);
                } catch (IOException e) {
                    // a leftover profile file is named for what it is
                }
            }
            Map<Monitor.Phase, Double> phases = new EnumMap<>(Monitor.Phase.class);
            for (Monitor.Phase p : Monitor.Phase.values()) {
                phases.put(p, mon.nanos(p) / 1e6);
            }
            double[] busy = new double[Math.max(1, mon.workers())];
            for (Monitor.Span s : mon.spans()) {
                boolean whole = s.what().startsWith("chunk ") || s.what().startsWith("tile ");
                if (whole && s.worker() < busy.length) {
                    busy[s.worker()] += (s.endNanos() - s.startNanos()) / 1e6 / filterMs;
                }
            }
            long outBytes = in.elementCount() * dt.size();
            double memFloor = copyFloorMs(in.byteSize(), schedule.threads());
            double rate = Backends.fmaRatePerThread();
            double fmas = plan.foldedFmasPerElement();
            double fmaFloor = fmas * in.elementCount() / (rate * schedule.threads()) * 1e3;
            if (!mon.floatPath()) {
                scaling = null; // the double path's kernels are others
            }
            String verdict = verdict(resident, phases, busy, memFloor / filterMs, fmaFloor / filterMs, mon, scaling);
            return new Report(spec.toString(), input, in.shape(), in.dtype(), schedule.backend().name()
                    .toLowerCase(Locale.ROOT), schedule.threads(), mon.floatPath(), mon.redone(), ran.why(), resident, mapMs,
                    firstMs, warmups, filterMs, forceMs, phases, busy, mon.chunks(),
                    (int) mon.spans().stream().filter(x -> x.what().startsWith("chunk ") || x.what().startsWith("tile "))
                            .count(), mon.team(),
                    in.byteSize(), outBytes, memFloor, fmaFloor, fmas, rate, scaling, mon.spans(), verdict);
        }
    }

    /** The one-line answer to "why this fast": the first rule that the numbers meet. */
    static String verdict(double resident, Map<Monitor.Phase, Double> phases, double[] busy, double memShare,
                          double fmaShare, Monitor mon, KernelScaling.Result scaling) {
        double sum = phases.values().stream().mapToDouble(Double::doubleValue).sum();
        double gather = phases.getOrDefault(Monitor.Phase.GATHER, 0.0) / Math.max(1e-9, sum);
        double wait = phases.getOrDefault(Monitor.Phase.WAIT, 0.0) / Math.max(1e-9, sum);
        double minBusy = 1;
        for (double b : busy) {
            minBusy = Math.min(minBusy, b);
        }
        if (resident >= 0 && resident < 0.9 && gather > 0.4) {
            return String.format(Locale.ROOT, "I/O-bound: %.0f %% of the input was not in the page cache and gathering"
                    + " it took %.0f %% of the threads' time (page cache misses read from disk)", 100 * (1 - resident),
                    100 * gather);
        }
        if (gather > 0.4) {
            return String.format(Locale.ROOT, "mapping-bound: gathering from the mapped input took %.0f %% of the"
                    + " threads' time although %.0f %% of it was in the page cache (page faults on 4 KiB pages)",
                    100 * gather, resident < 0 ? 0 : 100 * resident);
        }
        double write = phases.getOrDefault(Monitor.Phase.WRITE, 0.0) / Math.max(1e-9, sum);
        if (gather + write > 0.6) {
            // (a volume bigger than memory: each share alone stays under the rules above)
            return String.format(Locale.ROOT, "file-bound: gathering the input (%.0f %%) and writing the output (%.0f %%)"
                    + " took %.0f %% of the threads' time: page faults, reads from disk and write-back, not the filter%s",
                    100 * gather, 100 * write, 100 * (gather + write), resident >= 0 && resident < 0.9
                            ? String.format(Locale.ROOT, " (%.0f %% of the input was not in the page cache)",
                                    100 * (1 - resident)) : "");
        }
        if (scaling != null && scaling.sharesACore()) {
            return String.format(Locale.ROOT, "shared core: the kernel alone runs only %.2fx faster on %d threads"
                    + " than on 1 (in-cache data, no memory traffic), so the threads shared one core's load ports"
                    + " (SMT siblings, or a host that placed both vCPUs on one core); team waits took %.0f %% of the"
                    + " threads' time",
                    scaling.scaling(), scaling.threads(), 100 * wait);
        }
        if (minBusy < 0.75 || wait > 0.2) {
            return String.format(Locale.ROOT, "parallel overhead: the least busy thread worked %.0f %% of the run and"
                    + " team waits took %.0f %% of the threads' time (too few chunks or unequal work)", 100 * minBusy,
                    100 * wait);
        }
        if (memShare >= 0.6) {
            return String.format(Locale.ROOT, "memory-bound: %.0f %% of stream bandwidth (a copy of the same bytes)",
                    100 * memShare);
        }
        if (fmaShare >= 0.5) {
            return String.format(Locale.ROOT, "compute-bound: %.0f %% of the FMA floor", 100 * fmaShare);
        }
        Monitor.Phase most = Monitor.Phase.GATHER;
        for (Map.Entry<Monitor.Phase, Double> e : phases.entrySet()) {
            if (e.getValue() > phases.getOrDefault(most, 0.0)) {
                most = e.getKey();
            }
        }
        return String.format(Locale.ROOT, "load-bound in cache: %.0f %% of the FMA floor and %.0f %% of stream"
                + " bandwidth, the most time in %s (%.0f %%): the passes wait on loads and shuffles from L1/L2,"
                + " not on memory or FMA units%s",
                100 * fmaShare, 100 * memShare, most.label, 100 * phases.getOrDefault(most, 0.0) / Math.max(1e-9, sum),
                mon.floatPath() ? "" : "; the double path also does half the lanes' work per instruction");
    }

    /** Best of 3 parallel copies of {@code bytes} between two off-heap buffers (capped at 1 GiB, scaled). */
    public static double copyFloorMs(long bytes, int threads) {
        long n = Math.min(bytes, 1L << 30);
        double best = Double.MAX_VALUE;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(n, 64);
            MemorySegment b = arena.allocate(n, 64);
            a.fill((byte) 1);
            b.fill((byte) 0);
            for (int r = 0; r < 4; r++) {
                long t = System.nanoTime();
                parallelCopy(a, b, threads);
                double ms = (System.nanoTime() - t) / 1e6;
                if (r > 0) {
                    best = Math.min(best, ms);
                }
            }
        }
        return best * bytes / n;
    }

    private static void parallelCopy(MemorySegment a, MemorySegment b, int threads) {
        long n = a.byteSize();
        long part = (n / threads + 4095) / 4096 * 4096;
        List<Thread> ts = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            long from = Math.min(n, i * part);
            long len = Math.min(part, n - from);
            Thread th = Thread.ofPlatform().start(() -> {
                MemorySegment.copy(a, from, b, from, len);
                done.countDown();
            });
            ts.add(th);
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String shapeText(long[] s) {
        return Arrays.toString(s).replace("[", "(").replace("]", ")").replace(" ", "");
    }
}
