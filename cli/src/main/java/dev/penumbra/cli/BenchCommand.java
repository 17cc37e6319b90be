package dev.penumbra.cli;

import com.google.gson.JsonElement;
import dev.penumbra.BadParameterException;
import dev.penumbra.backend.Backends;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.diagnostics.Json;
import dev.penumbra.diagnostics.KernelScaling;
import dev.penumbra.diagnostics.Profiler;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.engine.Strategy;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Times Gaussian filtering of float32 volumes for each size, backend, thread count and schedule
 * (fused tiles or one pass per axis), beside the machine's FMA floor measured in the same process
 * and, with {@code --scipy}, scipy on the seed workload in the same run. With {@code --json}: one
 * JSON object a line with op, shape, dtype, sigma, backend, threads, fused, median_ms, min_ms,
 * runs, gb_per_s (input plus output bytes over the median), fma_floor_pct, speedup_vs_1_thread and,
 * on rows of the most threads, kernel_scaling: the backend's kernel alone on in-cache data, timed on
 * one thread and on that many ({@link KernelScaling}), the ceiling on what threads can give.
 * Thread counts are timed in rounds (1 thread, then N, then 1 again ...), and the speed-up over one
 * thread is the median of the rounds' ratios, so drift in a shared machine's speed does not bias it.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time gaussian sigma=3 on float32 volumes (tiny, the seed's (50,1104,1104), 4x the seed) for each"
                + " backend, thread count and schedule; --json for one JSON object a line.")
final class BenchCommand implements Callable<Integer> {
    static final long[][] SWEEP = {{16, 128, 128}, SeedWorkload.SHAPE, {50, 2208, 2208}};
    static final String[] SWEEP_NAMES = {"tiny", "seed", "4x seed"};

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "one JSON object a line instead of a table")
    boolean json;

    @Option(names = "--shape", paramLabel = "Z,Y,X", description = "one volume shape instead of the sweep")
    String shape;

    @Option(names = "--seed-only", description = "only the seed's shape")
    boolean seedOnly;

    @CommandLine.Mixin
    OpOptions ops;

    @Option(names = "--op", paramLabel = "OP", description = "the filter to time, as the filter commands name it"
            + " (default gaussian; sigma 3 for the Gaussian ops unless --sigma)")
    String opName = "gaussian";

    @Option(names = "--input", paramLabel = "FILE.npy", description = "time on this file's mapped volume instead"
            + " of generated float32 data")
    Path input;

    @Option(names = "--matrix", description = "seven ops in five dtypes on the seed's shape (or --shape), each"
            + " beside scipy.ndimage in the same run (tools/scipy_matrix.py)")
    boolean matrix;

    @Option(names = "--backend", paramLabel = "B,..", description = "backends to time (default: scalar,simd and native when built)")
    String backends;

    @Option(names = "--threads", paramLabel = "N,..", description = "thread counts (default: 1 and all cores)")
    String threads;

    @Option(names = "--schedule", paramLabel = "fused|unfused|both", description = "fused tiles, one pass per"
            + " axis over the whole volume, or both (default)")
    String schedules = "both";

    @Option(names = "--strategy", paramLabel = "auto|tiles|stream|team", description = "how fused runs walk the"
            + " volume (default auto; the others force one)")
    String strategy;

    @Option(names = "--runs", paramLabel = "N", description = "timed runs after one warm-up (default 5; 3 when a"
            + " run takes over 2 s)")
    int runs = 5;

    @Option(names = "--chunks", paramLabel = "C0,C1,..", description = "chunk shape (default: automatic)")
    String chunks;

    @Option(names = "--arithmetic", paramLabel = "auto|float32|float64", description = "float32 path, double path,"
            + " or the engine's choice from the data (default auto)")
    String arithmetic = "auto";

    @Option(names = "--png", paramLabel = "FILE", description = "also write a scaling chart: speed-up against"
            + " threads with the ideal and the memory ceiling (needs 1 and another thread count)")
    Path png;

    @Option(names = "--scipy", description = "also time scipy.ndimage.gaussian_filter on the seed workload with"
            + " tools/scipy_seed.py (python3 with numpy and scipy) and print the ratios")
    boolean scipy;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (runs < 1) {
            throw new BadParameterException("runs: expected a whole number >= 1, got " + runs);
        }
        List<long[]> shapes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (shape != null) {
            shapes.add(Shapes.parse(shape, "shape"));
            names.add("custom");
        } else if (seedOnly) {
            shapes.add(SeedWorkload.SHAPE);
            names.add("seed");
        } else {
            shapes.addAll(Arrays.asList(SWEEP));
            names.addAll(Arrays.asList(SWEEP_NAMES));
        }
        List<Backends.Kind> kinds = new ArrayList<>();
        String all = Backends.nativeAvailable() ? "scalar,simd,native" : "scalar,simd";
        for (String b : (backends == null ? all : backends).split(",")) {
            Backends.Kind k = Backends.parse(b);
            Backends.kernel(k);
            kinds.add(k);
        }
        List<Boolean> fusedList = switch (schedules.toLowerCase(Locale.ROOT)) {
            case "both" -> List.of(true, false);
            case "fused" -> List.of(true);
            case "unfused" -> List.of(false);
            default -> throw new BadParameterException("schedule: '" + schedules + "' (expected fused, unfused or both)");
        };
        Schedule.Arithmetic arith = switch (arithmetic.toLowerCase(Locale.ROOT)) {
            case "auto" -> Schedule.Arithmetic.AUTO;
            case "float32" -> Schedule.Arithmetic.FLOAT32;
            case "float64" -> Schedule.Arithmetic.FLOAT64;
            default -> throw new BadParameterException("arithmetic: '" + arithmetic
                    + "' (expected auto, float32 or float64)");
        };
        Strategy forced = RunOptions.strategy(strategy);
        if (forced == Strategy.UNFUSED) {
            throw new BadParameterException("strategy", "unfused is a schedule here: give --schedule unfused");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int[] ts = threads == null ? (cores > 1 ? new int[] {1, cores} : new int[] {1})
                : FilterCommand.ints(threads, "threads");
        if (matrix) {
            long[] grid = shape != null ? Shapes.parse(shape, "shape") : SeedWorkload.SHAPE;
            Schedule sc = FilterCommand.schedule(threads == null ? null : ts[ts.length - 1],
                    backends == null ? null : kinds.get(0).name(), chunks);
            MatrixBench.run(out, json, grid, sc, Math.max(runs, 1), true);
            return 0;
        }
        Op op = Op.parse(opName);
        FilterSpec fs = ops.spec(op, spec.commandLine().getParseResult(), false);
        if (ops.sigma == null && OpOptions.OWN.get(op).contains("--sigma")) {
            fs = fs.withSigma(3.0);
        }
        if (op == Op.CORRELATE1D && ops.weights == null) {
            throw new BadParameterException("weights", "required for correlate1d");
        }
        double[] sigmas = fs.sigma();
        String sigma = sigmas.length == 1 ? String.valueOf(sigmas[0])
                : Arrays.toString(sigmas).replace(" ", "");
        String what = OpOptions.OWN.get(op).contains("--sigma") ? op.cliName() + " sigma=" + sigma : fs.toString();
        Volume mapped = input == null ? null : VolumeFiles.open(input, null);
        if (mapped != null) {
            shapes.clear();
            names.clear();
            shapes.add(mapped.shape());
            names.add("input");
        }
        if (png != null) {
            if (ts.length < 2 || Arrays.stream(ts).noneMatch(x -> x == 1)) {
                throw new BadParameterException("png: a scaling chart needs thread counts that include 1 and another"
                        + " (e.g. --threads 1,2)");
            }
            Charts.checkWritable(png, "png");
        }
        List<Charts.Scaling> chartPoints = new ArrayList<>();
        double fmaRate = Backends.fmaRatePerThread();
        // each backend's kernel alone, on in-cache data: the ceiling on what threads can give a run
        int most = Arrays.stream(ts).max().orElse(1);
        Map<Backends.Kind, KernelScaling.Result> kernelScaling = new EnumMap<>(Backends.Kind.class);
        if (most > 1) {
            for (Backends.Kind k : kinds) {
                FloatTileKernel fk = Backends.floatKernel(k);
                if (fk != null) {
                    kernelScaling.put(k, KernelScaling.measure(fk, most, 100));
                }
            }
        }
        double[] scipyMs = scipy ? runScipy() : null;
        if (!json) {
            out.printf(Locale.ROOT, "%s on %s volumes; simd: %s; FMA peak %.1f G/s a thread%n", what,
                    mapped != null ? mapped.dtype().numpyName() : "float32", Backends.simdStatus(), fmaRate / 1e9);
            for (Map.Entry<Backends.Kind, KernelScaling.Result> e : kernelScaling.entrySet()) {
                out.println("scaling: " + e.getValue().text(e.getKey().name().toLowerCase(Locale.ROOT)));
            }
            if (scipyMs != null) {
                out.printf(Locale.ROOT, "scipy.ndimage.gaussian_filter on the seed workload, same run: min %.1f ms,"
                        + " median %.1f ms%n", scipyMs[0], scipyMs[1]);
            }
            out.printf(Locale.ROOT, "%-8s %-16s %-7s %7s %-8s %-7s %10s %10s %7s %7s %6s%s%n", "size", "shape", "backend",
                    "threads", "schedule", "path", "median ms", "min ms", "GB/s", "FMA %", "x 1t",
                    scipyMs != null ? "  x scipy" : "");
        }
        for (int si = 0; si < shapes.size(); si++) {
            long[] s = shapes.get(si);
            try (Volume in = mapped != null ? mapped : Volume.allocate(DType.F32, s);
                 Volume o = Volume.allocate(DType.filterOutput(in.dtype(), null), s)) {
                if (mapped == null) {
                    SeedWorkload.fill(in, 0);
                }
                Plan plan = fs.plan(in.rank());
                double bytes = in.byteSize() + o.byteSize();
                double fmas = (double) plan.foldedFmasPerElement() * in.elementCount();
                for (Backends.Kind k : kinds) {
                    for (boolean fused : fusedList) {
                        Runnable[] jobs = new Runnable[ts.length];
                        Run[] ran = new Run[ts.length];
                        for (int j = 0; j < ts.length; j++) {
                            Schedule sc = FilterCommand.schedule(ts[j], k.name(), chunks)
                                    .withStrategy(fused ? forced : Strategy.UNFUSED).withArithmetic(arith);
                            int jj = j;
                            jobs[j] = () -> ran[jj] = Engine.run(plan, in, o, sc);
                        }
                        // thread counts alternate run by run, so their ratio is measured under the same drift
                        double[][] rounds = SeedWorkload.timeRounds(runs, jobs);
                        int one = -1;
                        for (int j = 0; j < ts.length; j++) {
                            one = ts[j] == 1 ? j : one;
                        }
                        for (int j = 0; j < ts.length; j++) {
                            int t = ts[j];
                            double[] ms = rounds[j].clone();
                            Arrays.sort(ms);
                            double med = SeedWorkload.median(ms);
                            double gbs = bytes / (med / 1e3) / 1e9;
                            double floorPct = 100 * (fmas / (fmaRate * t) * 1e3) / med;
                            double scaling = one >= 0 ? SeedWorkload.medianRatio(rounds[one], rounds[j]) : Double.NaN;
                            if (png != null) {
                                // the memory ceiling: 1 thread's time over a copy of the same bytes with t threads
                                double[] one1 = rounds[one].clone();
                                Arrays.sort(one1);
                                chartPoints.add(new Charts.Scaling(names.get(si) + " " + k.name().toLowerCase(Locale.ROOT)
                                        + (fused ? "" : " unfused"), t, scaling, SeedWorkload.median(one1)
                                        / Profiler.copyFloorMs(in.byteSize(), t), in.byteSize()));
                            }
                            String name = k.name().toLowerCase(Locale.ROOT);
                            boolean isSeed = Arrays.equals(s, SeedWorkload.SHAPE);
                            if (json) {
                                Json.Obj row = Json.object().put("op", op.cliName()).put("shape", s)
                                        .put("dtype", in.dtype().numpyName());
                                if (OpOptions.OWN.get(op).contains("--sigma")) {
                                    if (sigmas.length == 1) {
                                        row.put("sigma", sigmas[0]);
                                    } else {
                                        row.put("sigma", sigmas);
                                    }
                                }
                                row.put("path", ran[j].floatPath() ? "float32" : "float64");
                                row.put("backend", name).put("threads", t).put("fused", fused).put("median_ms", med, 2)
                                        .put("min_ms", ms[0], 2).put("runs", ms.length).put("gb_per_s", gbs, 3)
                                        .put("fma_floor_pct", floorPct, 1);
                                if (one >= 0) {
                                    row.put("speedup_vs_1_thread", scaling, 3);
                                }
                                if (t == most && kernelScaling.containsKey(k)) {
                                    row.put("kernel_scaling", kernelScaling.get(k).scaling(), 3);
                                }
                                if (scipyMs != null && isSeed) {
                                    row.put("scipy_min_ms", scipyMs[0], 1).put("speedup_vs_scipy", scipyMs[0] / ms[0], 2);
                                }
                                out.println(row);
                            } else {
                                out.printf(Locale.ROOT, "%-8s %-16s %-7s %7d %-8s %-7s %10.1f %10.1f %7.2f %7.1f %6s%s%n",
                                        names.get(si), FilterCommand.shapeText(s).replace(" ", ""), name, t,
                                        fused ? "fused" : "unfused", ran[j].floatPath() ? "float32" : "float64",
                                        med, ms[0], gbs, floorPct,
                                        one >= 0 ? String.format(Locale.ROOT, "%.2f", scaling) : "-",
                                        scipyMs != null && isSeed ? String.format(Locale.ROOT, "  %7.1fx",
                                                scipyMs[0] / ms[0]) : "");
                            }
                            out.flush();
                        }
                    }
                }
            }
        }
        if (png != null) {
            Charts.scalingChart(chartPoints, what + ": speed-up over 1 thread", png);
            if (!json) {
                out.println("chart: " + png);
            }
        }
        return 0;
    }

    /** min and median ms of scipy on the seed workload, from the project's tools/scipy_seed.py. */
    private static double[] runScipy() throws Exception {
        String root = System.getenv().getOrDefault("PENUMBRA_ROOT", ".");
        Path script = Path.of(root).resolve("tools/scipy_seed.py").normalize();
        if (!Files.exists(script)) {
            throw new BadParameterException("scipy: " + script + " not found (run from the repository, or set"
                    + " PENUMBRA_ROOT)");
        }
        Process p = new ProcessBuilder("python3", script.toString()).redirectErrorStream(true).start();
        String text;
        try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            text = String.join("\n", br.lines().toList());
        }
        p.waitFor();
        if (p.exitValue() == 0) {
            // one JSON object a line: {"peer": ..., "min_ms": ..., "median_ms": ...}
            for (String line : text.split("\n")) {
                try {
                    JsonElement e = Json.parse(line.strip());
                    if (e.isJsonObject() && e.getAsJsonObject().has("min_ms") && e.getAsJsonObject().has("median_ms")) {
                        return new double[] {e.getAsJsonObject().get("min_ms").getAsDouble(),
                                             e.getAsJsonObject().get("median_ms").getAsDouble()};
                    }
                } catch (RuntimeException notJson) {
                    // a line of another kind (a warning): look further
                }
            }
        }
        throw new BadParameterException("scipy: tools/scipy_seed.py failed (python3 with numpy and scipy is needed): "
                + Main.oneLine(text));
    }
}
