package dev.penumbra.spark;

import dev.penumbra.Filters;
import dev.penumbra.PenumbraException;
import dev.penumbra.backend.Backends;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.chunk.ChunkGrid;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import dev.penumbra.formats.ChunkRuns;
import dev.penumbra.formats.Inputs;
import dev.penumbra.zarr.ZarrArray;
import dev.penumbra.zarr.ZarrOutput;
import dev.penumbra.zarr.ZarrSink;
import java.util.Arrays;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The local engine's plans on a Spark cluster: the driver plans tiles with the plan's halos,
 * creates the output at full size under a temporary name (as a local run does), and runs one
 * task per group of tiles. Each executor maps INPUT and the temporary OUTPUT (paths on a
 * filesystem every worker sees), filters its tiles with the local engine into disjoint regions,
 * and forces them to disk; the driver renames the output over the target only when every task
 * succeeded. Tiles are idempotent — a retried task rewrites the same bytes — and every tile runs
 * the arithmetic chosen for the whole volume, so the result is byte-identical to a local run.
 */
public final class SparkFilters {
    private SparkFilters() {
    }

    /** What one task did, reported to the driver. */
    public record TaskStats(int task, String executor, long pid, int tiles, long nanos, long bytes)
            implements Serializable {
    }

    /** The run as the driver saw it. */
    public record Stats(String master, int tasks, int tiles, long driverNanos, long sparkStartNanos,
                        List<TaskStats> perTask) {
        public long executorNanos() {
            return perTask.stream().mapToLong(TaskStats::nanos).sum();
        }

        public long executors() {
            return perTask.stream().map(t -> t.executor() + "/" + t.pid()).distinct().count();
        }

        public String text() {
            return String.format(Locale.ROOT, "spark %s: %d tasks, %d tiles (%.1f a task) on %d executor"
                    + " process(es); wall %.0f ms of which Spark start-up %.0f ms; executors busy %.0f ms in all,"
                    + " %.1f MB a task", master, tasks, tiles, (double) tiles / Math.max(1, tasks), executors(),
                    driverNanos / 1e6, sparkStartNanos / 1e6, executorNanos() / 1e6,
                    perTask.stream().mapToLong(TaskStats::bytes).average().orElse(0) / 1e6);
        }
    }

    /** Everything an executor needs for its group of tiles (no Spark or JDK types that do not serialize). */
    record TaskSpec(int task, FilterSpec spec, String input, String dataset, String rawDtype, boolean rawBigEndian,
                    long[] rawShape, long rawOffset, String output, String outDtype, long[] shape, long dataOffset,
                    ZarrOutput zarr, long[] outChunks, long[][] lo, long[][] hi, String arithmetic, String backend,
                    int threads) implements Serializable {
    }

    /**
     * Filters {@code input} into {@code output} on the cluster at {@code master} ({@code local[N]}
     * or {@code spark://HOST:PORT}); {@code schedule} gives the backend and each task's threads.
     */
    public static Stats applyToFile(FilterSpec spec, Path input, RawLayout raw, Path output, DType outDType,
                                    Schedule schedule, String master) {
        return applyToFile(spec, input, null, raw, output, outDType, null, schedule, master);
    }

    /**
     * {@link #applyToFile(FilterSpec, Path, RawLayout, Path, DType, Schedule, String)} over every
     * input the local engine reads (Zarr, HDF5 and TIFF too; {@code dataset} names the array in a
     * group or file) and into a Zarr array when {@code zarr} is given or {@code output} is named
     * {@code *.zarr}: then each task computes whole output chunks (whole shards when sharded) and
     * writes them itself into the array's temporary folder, which the driver commits when every task
     * succeeded — the same chunk files, byte for byte, as a local run's.
     */
    public static Stats applyToFile(FilterSpec spec, Path input, String dataset, RawLayout raw, Path output,
                                    DType outDType, ZarrOutput zarr, Schedule schedule, String master) {
        long t0 = System.nanoTime();
        if (zarr == null && ZarrOutput.namedZarr(output)) {
            zarr = ZarrOutput.defaults();
        }
        OutputFile.checkNotSameFile(input, output);
        Plan plan;
        long[] shape;
        DType dt;
        Schedule.Arithmetic arithmetic;
        long[] outChunks = null;
        try (Inputs.Input in = Inputs.open(input, dataset, raw)) {
            Source src = in.source();
            plan = spec.plan(src.rank());
            shape = src.shape();
            dt = DType.filterOutput(src.dtype(), outDType);
            // the whole volume's arithmetic, pinned in every tile: tiles give a whole run's bytes
            arithmetic = Engine.arithmeticFor(plan, src, dt, schedule);
            if (zarr != null) {
                outChunks = zarr.chunks() != null ? zarr.chunks() : in.store() instanceof ZarrArray z ? z.chunks()
                        : ZarrOutput.defaultChunks(shape, dt);
            }
        }
        Job job = new Job(spec, input, dataset, raw, dt, shape, arithmetic, schedule, master);
        if (zarr != null) {
            try (ZarrSink out = ZarrSink.create(output, zarr.format(), dt, shape, outChunks, zarr.shards(),
                    zarr.compressor(), true)) {
                long[] unit = zarr.shards() != null ? zarr.shards() : outChunks;
                long[] grid = ChunkRuns.grid(shape, unit);
                long n = Arrays.stream(shape).anyMatch(e -> e == 0) ? 0 : ChunkRuns.count(grid);
                List<long[][]> boxes = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    long[] u = ChunkRuns.coordinates(i, grid);
                    long[] lo = new long[u.length];
                    long[] hi = new long[u.length];
                    for (int a = 0; a < u.length; a++) {
                        lo[a] = u[a] * unit[a];
                        hi[a] = Math.min(shape[a], lo[a] + unit[a]);
                    }
                    boxes.add(new long[][] {lo, hi});
                }
                Stats st = job.run(parallelism -> boxes, out.tempDir(), 0, zarr, outChunks, t0);
                out.commitStoredElsewhere();
                return st;
            }
        }
        OutputFile.checkDirectory(output, output.toAbsolutePath().normalize().getParent());
        try (OutputFile out = OutputFile.create(output, dt, shape)) {
            Stats st = job.run(parallelism -> {
                ChunkGrid grid = new ChunkGrid(shape, schedule.withThreads(Math.max(2, parallelism))
                        .chunksFor(shape, plan.haloLeft(), plan.haloRight()));
                List<long[][]> boxes = new ArrayList<>();
                for (int i = 0; i < grid.size(); i++) {
                    Chunk c = grid.chunk(i);
                    boxes.add(new long[][] {c.lo(), c.hi()});
                }
                return boxes;
            }, out.temp(), out.dataOffset(), null, null, t0);
            out.commit();
            return st;
        }
    }

    /** One job's fixed parts; {@link #run} starts Spark, groups the output boxes into tasks and runs them. */
    private record Job(FilterSpec spec, Path input, String dataset, RawLayout raw, DType dt, long[] shape,
                       Schedule.Arithmetic arithmetic, Schedule schedule, String master) {
        Stats run(java.util.function.IntFunction<List<long[][]>> boxesFor, Path out, long dataOffset, ZarrOutput zarr,
                  long[] outChunks, long t0) {
            long s0 = System.nanoTime();
            SparkConf conf = new SparkConf().setMaster(master).setAppName("penumbra " + spec)
                    .set("spark.ui.enabled", "false").set("spark.task.maxFailures", "4");
            if (master.startsWith("spark://")) {
                // executors: this driver's classpath (a shared filesystem) and the engine's JVM options
                conf.setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
                conf.setIfMissing("spark.executor.extraJavaOptions", String.join(" ", engineOptions()));
                conf.setIfMissing("spark.executor.memory", "512m");
                // the user's own settings first: they win over those of the cluster the project started
                siteSettings().forEach((k, v) -> conf.setIfMissing((String) k, (String) v));
                if (!conf.contains("spark.authenticate.secret")) {
                    Cluster.jobSettings(master).forEach((k, v) -> conf.setIfMissing((String) k, (String) v));
                }
                if (master.equals(Cluster.MASTER_URL) && !conf.contains("spark.authenticate.secret")
                        && conf.getBoolean("spark.authenticate", true)) {
                    throw new PenumbraException(master + " needs the cluster's secret: there is none in "
                            + Cluster.jobRunDir() + " (start the cluster with ./penumbra cluster start, name the run"
                            + " dir of the one you started with PENUMBRA_CLUSTER_DIR, or give spark.authenticate.secret"
                            + " in the file PENUMBRA_SPARK_CONF names for a cluster you did not start)");
                }
            }
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                long sparkStart = System.nanoTime() - s0;
                List<long[][]> boxes = boxesFor.apply(sc.defaultParallelism());
                int tasks = Math.max(1, Math.min(boxes.size(), 2 * sc.defaultParallelism()));
                List<TaskSpec> specs = new ArrayList<>();
                for (int t = 0; t < tasks; t++) {
                    int from = (int) ((long) boxes.size() * t / tasks);
                    int to = (int) ((long) boxes.size() * (t + 1) / tasks);
                    long[][] lo = new long[to - from][];
                    long[][] hi = new long[to - from][];
                    for (int i = from; i < to; i++) {
                        lo[i - from] = boxes.get(i)[0];
                        hi[i - from] = boxes.get(i)[1];
                    }
                    specs.add(new TaskSpec(t, spec, input.toAbsolutePath().toString(), dataset,
                            raw == null ? null : raw.dtype().name(), raw != null && raw.order() == ByteOrder.BIG_ENDIAN,
                            raw == null ? null : raw.shape(), raw == null ? 0 : raw.offset(),
                            out.toAbsolutePath().toString(), dt.name(), shape, dataOffset, zarr, outChunks, lo, hi,
                            arithmetic.name(), schedule.backend().name(), 1));
                }
                List<TaskStats> stats;
                try {
                    stats = sc.parallelize(specs, tasks).map(SparkFilters::runTask).collect();
                } catch (Exception e) { // Spark's SparkException is checked but thrown unchecked from Scala
                    throw new PenumbraException("spark: the job failed on the executors: "
                            + PenumbraException.rootMessage(e), e);
                }
                return new Stats(master, tasks, boxes.size(), System.nanoTime() - t0, sparkStart, stats);
            }
        }
    }

    /**
     * Spark properties for a cluster the project did not start (a site's own): the properties file
     * that {@code $PENUMBRA_SPARK_CONF} names (e.g. {@code spark.authenticate=true} and {@code
     * spark.authenticate.secret=...}), kept off the command line; empty when it is not set.
     */
    static java.util.Properties siteSettings() {
        java.util.Properties p = new java.util.Properties();
        String f = System.getenv("PENUMBRA_SPARK_CONF");
        if (f == null || f.isEmpty()) {
            return p;
        }
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(Path.of(f))) {
            p.load(r);
        } catch (IOException e) {
            throw new PenumbraException("spark: cannot read PENUMBRA_SPARK_CONF " + f + " (" + e.getMessage() + ")", e);
        }
        return p;
    }

    /** The JVM options the engine needs (Vector API, FFM) and quiet Unsafe use by Spark on JDK 23+. */
    static List<String> engineOptions() {
        List<String> o = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            o.add("--sun-misc-unsafe-memory-access=allow");
        }
        return o;
    }

    /**
     * Spark's own module options on JDK 17+ (org.apache.spark.launcher.JavaModuleOptions), from
     * module-options.txt beside this class (the launcher reads the same file), and the engine's.
     */
    static List<String> moduleOptions() {
        List<String> o = new ArrayList<>();
        try (InputStream in = SparkFilters.class.getResourceAsStream("module-options.txt")) {
            if (in == null) {
                throw new IllegalStateException("module-options.txt is missing from the spark module's jar");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    o.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        o.addAll(engineOptions());
        return o;
    }

    /** On an executor: the task's tiles into its regions of the output, forced to disk. */
    static TaskStats runTask(TaskSpec t) {
        long t0 = System.nanoTime();
        RawLayout raw = t.rawDtype() == null ? null : new RawLayout(DType.valueOf(t.rawDtype()),
                t.rawBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, t.rawShape(), t.rawOffset());
        long bytes = 0;
        DType dt = DType.valueOf(t.outDtype());
        ZarrOutput z = t.zarr();
        try (Inputs.Input input = Inputs.open(Path.of(t.input()), t.dataset(), raw);
             Volume mapped = z != null ? null : VolumeFiles.mapForWriting(Path.of(t.output()), dt, t.shape(),
                     t.dataOffset());
             ZarrSink chunks = z == null ? null : ZarrSink.attach(Path.of(t.output()), z.format(), dt, t.shape(),
                     t.outChunks(), z.shards(), z.compressor(), true)) {
            Source in = input.source();
            Plan plan = t.spec().plan(in.rank());
            Schedule s = Schedule.defaults().withThreads(t.threads()).withBackend(Backends.Kind.valueOf(t.backend()))
                    .withArithmetic(Schedule.Arithmetic.valueOf(t.arithmetic()));
            long delay = Long.getLong("penumbra.spark.tileDelayMs", 0); // fault-injection tests slow tiles down
            for (int i = 0; i < t.lo().length; i++) {
                if (delay > 0) {
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new PenumbraException("interrupted");
                    }
                }
                if (mapped != null) {
                    Volume region = mapped.slice(t.lo()[i], t.hi()[i]);
                    Engine.run(plan, in, t.lo()[i], region, s);
                    bytes += region.byteSize();
                } else {
                    Sink region = chunks.region(t.lo()[i], t.hi()[i]);
                    Engine.run(plan, in, t.lo()[i], region, s);
                    bytes += dt.size() * Shapes.elementCount(region.shape(), "region");
                }
            }
            if (mapped != null) {
                mapped.segment().force();
            } else {
                chunks.awaitStored(); // every chunk (shard) of the task's boxes is in its file
            }
        }
        SparkEnv env = SparkEnv.get();
        return new TaskStats(t.task(), env == null ? "?" : env.executorId(), ProcessHandle.current().pid(),
                t.lo().length, System.nanoTime() - t0, bytes);
    }
}
