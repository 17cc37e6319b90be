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
import dev.penumbra.formats.ChunkedSource;
import dev.penumbra.formats.Inputs;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import dev.penumbra.zarr.ZarrArray;
import dev.penumbra.zarr.ZarrOutput;
import dev.penumbra.zarr.ZarrSink;
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
                         KernelScaling.Result kernelScaling, List<Monitor.Span> spans, Containers containers,
                         String verdict) {
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
                    fmaFloorMs, fmasPerVoxel, fmaRatePerThread, kernelScaling, spans, containers, verdict);
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
            if (containers != null) {
                b.append(containers.text(filterMs, threads));
            }
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
            if (containers != null) {
                double all = filterMs * threads;
                o.put("decode_ms", containers.decodeMs(), 2).put("decode_share", containers.decodeMs() / all, 3)
                        .put("encode_ms", containers.encodeMs(), 2).put("encode_share", containers.encodeMs() / all, 3);
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
        return profile(spec, input, null, raw, null, schedule);
    }

    /**
     * {@link #profile(FilterSpec, Path, RawLayout, Schedule)} over any input {@link Inputs} reads
     * ({@code dataset}: the array in a Zarr group or HDF5 file), into a temporary Zarr array when
     * {@code zarr} is given. A chunked input is opened afresh for every run, so each run decodes its
     * chunks as a real one does; the report gives the threads' time spent decoding input chunks and
     * encoding output chunks.
     */
    public static Report profile(FilterSpec spec, Path input, String dataset, RawLayout raw, ZarrOutput zarr,
                                 Schedule schedule) {
        // the kernel's own scaling first, before the runs' JIT compilation competes for a core
        FloatTileKernel fk = Backends.floatKernel(schedule.backend());
        KernelScaling.Result scaling = schedule.threads() > 1 && fk != null
                ? KernelScaling.measure(fk, schedule.threads(), 100) : null;
        long t0 = System.nanoTime();
        try (Inputs.Input first = Inputs.open(input, dataset, raw)) {
            Source in = first.source();
            double mapMs = (System.nanoTime() - t0) / 1e6;
            boolean chunked = first.store() != null;
            double resident = in instanceof Volume v ? Madvise.residentFraction(v.segment()) : -1;
            Plan plan = spec.plan(in.rank());
            DType dt = DType.filterOutput(in.dtype(), null);
            Path dir = input.toAbsolutePath().normalize().getParent();
            if (dir == null || !Files.isWritable(dir)) {
                dir = Path.of(System.getProperty("java.io.tmpdir"));
            }
            Path target = dir.resolve(".penumbra-profile-" + ProcessHandle.current().pid() + (zarr != null ? ".zarr"
                    : ".out"));
            long[] outChunks = zarr == null ? null : zarr.chunks() != null ? zarr.chunks()
                    : first.store() instanceof ZarrArray z ? z.chunks() : ZarrOutput.defaultChunks(in.shape(), dt);
            // one run: a fresh chunked input (its chunks decoded again) and, for Zarr, a fresh array
            // (never committed: closing it removes it); returns {nanos, decode nanos, encode nanos}
            RunOnce once = (out, s) -> {
                Inputs.Input fresh = chunked ? Inputs.open(input, dataset, raw) : null;
                Source src = fresh != null ? fresh.source() : in;
                try (ZarrSink zs = zarr == null ? null : ZarrSink.create(target, zarr.format(), dt, in.shape(),
                        outChunks, zarr.shards(), zarr.compressor(), false)) {
                    long a = System.nanoTime();
                    Run r = zs != null ? Engine.run(plan, src, (Sink) zs, s) : Engine.run(plan, src, out, s);
                    if (zs != null) {
                        zs.awaitStored(); // the encoders' last chunks are part of the run
                    }
                    long ns = System.nanoTime() - a;
                    return new Timed(r, ns, src instanceof ChunkedSource c ? c.decodeNanos() : 0,
                            zs != null ? zs.encodeNanos() : 0);
                } finally {
                    if (fresh != null) {
                        fresh.close();
                    }
                }
            };
            double firstMs;
            double filterMs;
            double forceMs;
            Monitor mon = null;
            Timed best = null;
            int warmups = 0;
            try (OutputFile out = zarr != null ? null : OutputFile.create(target, dt, in.shape())) {
                Volume ov = out == null ? null : out.volume();
                // warm up until a run is no longer 5 % faster than the one before (JIT compilation
                // threads compete for the cores until then), at most 8 runs
                firstMs = once.run(ov, schedule).nanos() / 1e6;
                double prev = firstMs;
                for (warmups = 1; warmups < 8; warmups++) {
                    double ms = once.run(ov, schedule).nanos() / 1e6;
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
                    Timed t = once.run(ov, schedule.withMonitor(m));
                    double ms = t.nanos() / 1e6;
                    if (ms < filterMs) {
                        filterMs = ms;
                        mon = m;
                        best = t;
                    }
                }
                long c = System.nanoTime();
                if (out != null) {
                    out.commit();
                }
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
            long elements = Shapes.elementCount(in.shape(), "input");
            long outBytes = elements * dt.size();
            double memFloor = copyFloorMs(in.byteSize(), schedule.threads());
            double rate = Backends.fmaRatePerThread();
            double fmas = plan.foldedFmasPerElement();
            double fmaFloor = fmas * elements / (rate * schedule.threads()) * 1e3;
            if (!mon.floatPath()) {
                scaling = null; // the double path's kernels are others
            }
            String verdict = verdict(resident, phases, busy, memFloor / filterMs, fmaFloor / filterMs, mon, scaling);
            Containers containers = chunked || zarr != null ? new Containers(first.store() == null ? null
                    : first.store().toString(), zarr == null ? null : "zarr v" + zarr.format() + " chunks "
                    + Arrays.toString(outChunks) + " " + (zarr.compressor() == null ? "zstd:3" : zarr.compressor()),
                    best.decodeNanos() / 1e6, best.encodeNanos() / 1e6) : null;
            if (containers != null && containers.share(filterMs, schedule.threads()) > 0.5) {
                verdict = containers.verdict(filterMs, schedule.threads());
            }
            return new Report(spec.toString(), input, in.shape(), in.dtype(), schedule.backend().name()
                    .toLowerCase(Locale.ROOT), schedule.threads(), mon.floatPath(), mon.redone(), best.run().why(),
                    resident, mapMs, firstMs, warmups, filterMs, forceMs, phases, busy, mon.chunks(),
                    (int) mon.spans().stream().filter(x -> x.what().startsWith("chunk ") || x.what().startsWith("tile "))
                            .count(), mon.team(),
                    in.byteSize(), outBytes, memFloor, fmaFloor, fmas, rate, scaling, mon.spans(), containers, verdict);
        }
    }

    private record Timed(Run run, long nanos, long decodeNanos, long encodeNanos) {
    }

    private interface RunOnce {
        Timed run(Volume out, Schedule s);
    }

    /**
     * A run over chunked containers: the input's and output's description, and the threads' time
     * (summed) decoding input chunks and encoding and writing output chunks in the best run.
     */
    public record Containers(String input, String output, double decodeMs, double encodeMs) {
        /** Decoding and encoding as a share of the threads' time ({@code filterMs} × threads). */
        double share(double filterMs, int threads) {
            return (decodeMs + encodeMs) / (filterMs * threads);
        }

        String text(double filterMs, int threads) {
            double all = filterMs * threads;
            return String.format(Locale.ROOT, "containers: %s%s; decoding input chunks %.1f ms (%.0f %% of the"
                    + " threads' time), encoding and writing output chunks %.1f ms (%.0f %%)%n",
                    input == null ? "input mapped" : "in " + input, output == null ? "" : ", out " + output,
                    decodeMs, 100 * decodeMs / all, encodeMs, 100 * encodeMs / all);
        }

        String verdict(double filterMs, int threads) {
            double all = filterMs * threads;
            return String.format(Locale.ROOT, "bound by the containers' codecs: decoding %.0f %% and encoding %.0f %% of"
                    + " the threads' time (a faster or no compressor, or larger chunks, would go faster)",
                    100 * decodeMs / all, 100 * encodeMs / all);
        }
    }

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
