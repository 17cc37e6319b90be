package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times the seed workload (or another shape) for each backend and thread count. With
 * {@code --json}: one JSON object a line with op, shape, dtype, sigma, backend, threads,
 * median_ms, min_ms, runs, gb_per_s (input plus output bytes over the median time).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time gaussian sigma=3 on the seed volume for each backend and thread count.")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "one JSON object a line instead of a table")
    boolean json;

    @Option(names = "--shape", paramLabel = "Z,Y,X", description = "volume shape (default 50,1104,1104)")
    String shape;

    @Option(names = "--sigma", paramLabel = "S|S0,S1,..", description = "Gaussian sigma, one or per axis (default 3)")
    String sigmaText = "3.0";

    @Option(names = "--backend", paramLabel = "B,..", description = "backends to time (default: scalar,simd)")
    String backends;

    @Option(names = "--threads", paramLabel = "N,..", description = "thread counts (default: 1 and all cores)")
    String threads;

    @Option(names = "--runs", paramLabel = "N", description = "timed runs after one warm-up (default 5)")
    int runs = 5;

    @Option(names = "--chunks", paramLabel = "C0,C1,..", description = "chunk shape (default: automatic)")
    String chunks;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (runs < 1) {
            throw new BadParameterException("runs: expected a whole number >= 1, got " + runs);
        }
        long[] s = shape == null ? SeedWorkload.SHAPE : Shapes.parse(shape, "shape");
        List<Backends.Kind> kinds = new ArrayList<>();
        for (String b : (backends == null ? "scalar,simd" : backends).split(",")) {
            Backends.Kind k = Backends.parse(b);
            Backends.kernel(k);
            kinds.add(k);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int[] ts = threads == null ? (cores > 1 ? new int[] {1, cores} : new int[] {1})
                : FilterCommand.ints(threads, "threads");
        double[] sigmas = FilterCommand.doubles(sigmaText, "sigma");
        String sigma = sigmas.length == 1 ? String.valueOf(sigmas[0]) : java.util.Arrays.toString(sigmas).replace(" ", "");
        FilterSpec fs = FilterSpec.gaussian(sigmas);
        try (Volume in = Volume.allocate(DType.F32, s); Volume o = Volume.allocate(DType.F32, s)) {
            if (s.length == 3 || in.elementCount() > 0) {
                SeedWorkload.fill(in, 0);
            }
            Plan plan = fs.plan(in.rank());
            double bytes = in.byteSize() + o.byteSize();
            if (!json) {
                out.printf(Locale.ROOT, "gaussian sigma=%s on %s float32 (%s)%n", sigma, FilterCommand.shapeText(s),
                        Backends.simdStatus());
                out.printf(Locale.ROOT, "%-8s %7s %10s %10s %8s%n", "backend", "threads", "median ms", "min ms", "GB/s");
            }
            for (Backends.Kind k : kinds) {
                for (int t : ts) {
                    Schedule sc = FilterCommand.schedule(t, k.name(), chunks);
                    double[] ms = SeedWorkload.time(runs, () -> Engine.run(plan, in, o, sc));
                    double med = SeedWorkload.median(ms);
                    double gbs = bytes / (med / 1e3) / 1e9;
                    String name = k.name().toLowerCase(Locale.ROOT);
                    if (json) {
                        out.printf(Locale.ROOT, "{\"op\":\"gaussian\",\"shape\":%s,\"dtype\":\"float32\",\"sigma\":%s,"
                                + "\"backend\":\"%s\",\"threads\":%d,\"median_ms\":%.2f,\"min_ms\":%.2f,\"runs\":%d,"
                                + "\"gb_per_s\":%.3f}%n", java.util.Arrays.toString(s).replace(" ", ""), sigma, name, t,
                                med, ms[0], runs, gbs);
                    } else {
                        out.printf(Locale.ROOT, "%-8s %7d %10.1f %10.1f %8.2f%n", name, t, med, ms[0], gbs);
                    }
                    out.flush();
                }
            }
        }
        return 0;
    }
}
