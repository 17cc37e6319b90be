package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.Filters;
import dev.penumbra.backend.Backends;
import dev.penumbra.diagnostics.Json;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import java.io.PrintWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code penumbra ab [OP options]}: the same plan and schedule through every backend on the seed
 * workload and two awkward shapes, each result checked against the scalar reference (scipy's
 * double arithmetic), timed in alternating rounds, as a table, JSON lines or a bar chart.
 */
@Command(name = "ab", description = "Run one filter through every backend (scalar, simd, native, blas) on the"
        + " seed workload and two awkward shapes; check each against the scalar reference and compare speed.")
final class AbCommand implements Callable<Integer> {
    /** The seed workload and two shapes whose lengths are not multiples of any vector width. */
    static final long[][] SHAPES = {SeedWorkload.SHAPE, {17, 301, 1031}, {64, 7, 4099}};

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "OP",
            description = "filter op (default gaussian with --sigma 3: the seed workload)")
    String opName;

    @CommandLine.Mixin
    OpOptions ops;

    @Option(names = "--shape", paramLabel = "Z,Y,X", description = "one volume shape instead of the default three")
    String shape;

    @Option(names = "--backend", paramLabel = "B,..", description = "backends (default: every one this build has)")
    String backends;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--chunks", paramLabel = "C0,C1,..", description = "chunk shape (default: automatic)")
    String chunks;

    @Option(names = "--runs", paramLabel = "N", description = "timed rounds after one warm-up (default 5)")
    int runs = 5;

    @Option(names = "--json", description = "one JSON object a line instead of a table")
    boolean json;

    @Option(names = "--png", paramLabel = "FILE", description = "also write a bar chart of the speed-ups (PNG)")
    Path png;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    private String specText;

    /** One measured backend on one shape. */
    record Row(String shape, String backend, double medianMs, double minMs, int runs, double gbPerS, double fmaPct,
               double maxAbsDiff, boolean ok, double speedup) {
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1) {
            throw new BadParameterException("runs: expected a whole number >= 1, got " + runs);
        }
        Op op = opName == null ? Op.GAUSSIAN : Op.parse(opName);
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        boolean sigmaDefault = ops.sigma == null && OpOptions.OWN.get(op).contains("--sigma");
        if (sigmaDefault) {
            ops.sigma = "3";
        }
        FilterSpec fs = ops.spec(op, pr, !sigmaDefault);
        specText = fs.toString().replace("\"", "'");
        List<Backends.Kind> kinds = kinds();
        if (png != null) {
            Charts.checkWritable(png, "png");
        }
        List<long[]> shapes = shape != null ? List.of(Shapes.parse(shape, "shape")) : Arrays.asList(SHAPES);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        PrintWriter out = spec.commandLine().getOut();
        double fmaRate = Backends.fmaRatePerThread();
        if (!json) {
            out.printf(Locale.ROOT, "%s, %d threads, float32 in and out; reference: scalar (double accumulation)%n",
                    fs, t);
            out.printf(Locale.ROOT, "simd: %s%nnative: %s%nblas: %s%n", Backends.simdStatus(), Backends.nativeStatus(),
                    Backends.blasStatus());
            out.printf(Locale.ROOT, "%-16s %-7s %10s %10s %7s %7s %12s %-4s %9s%n", "shape", "backend", "median ms",
                    "min ms", "GB/s", "FMA %", "max |diff|", "ok", "x scalar");
        }
        List<Row> rows = new ArrayList<>();
        boolean allOk = true;
        for (long[] s : shapes) {
            String name = FilterCommand.shapeText(s).replace(" ", "");
            Plan plan = fs.plan(s.length);
            try (Volume in = Volume.allocate(DType.F32, s)) {
                SeedWorkload.fill(in, 0);
                List<Volume> outs = new ArrayList<>();
                try {
                    Runnable[] jobs = new Runnable[kinds.size()];
                    for (int k = 0; k < kinds.size(); k++) {
                        Volume o = Volume.allocate(DType.F32, s);
                        outs.add(o);
                        Schedule sc = FilterCommand.schedule(t, kinds.get(k).name(), chunks);
                        jobs[k] = () -> Filters.apply(fs, in, o, sc);
                    }
                    double[][] rounds = SeedWorkload.timeRounds(runs, jobs);
                    int ref = kinds.indexOf(Backends.Kind.SCALAR);
                    double bytes = in.byteSize() * 2.0;
                    double fmas = (double) plan.foldedFmasPerElement() * in.elementCount();
                    for (int k = 0; k < kinds.size(); k++) {
                        double[] ms = rounds[k].clone();
                        Arrays.sort(ms);
                        double med = SeedWorkload.median(ms);
                        double[] diff = ref >= 0 ? compare(outs.get(k), outs.get(ref)) : new double[] {Double.NaN, 1};
                        boolean ok = diff[1] != 0;
                        allOk &= ok;
                        Row row = new Row(name, kinds.get(k).name().toLowerCase(Locale.ROOT), med, ms[0], ms.length,
                                bytes / (med / 1e3) / 1e9, 100 * (fmas / (fmaRate * t) * 1e3) / med, diff[0], ok,
                                ref >= 0 ? SeedWorkload.medianRatio(rounds[ref], rounds[k]) : Double.NaN);
                        rows.add(row);
                        print(out, row);
                    }
                } finally {
                    for (Volume o : outs) {
                        o.close();
                    }
                }
            }
        }
        if (png != null) {
            Charts.abChart(rows, fs + ", " + t + " threads", png);
            if (!json) {
                out.println("chart: " + png);
            }
        }
        out.flush();
        if (!allOk) {
            spec.commandLine().getErr().println("penumbra: ab: a backend's result is not within 1e-5*max(1,|ref|) of"
                    + " the scalar reference (see the ok column)");
            return 1;
        }
        return 0;
    }

    private List<Backends.Kind> kinds() {
        if (backends == null) {
            return Backends.available();
        }
        List<Backends.Kind> kinds = new ArrayList<>();
        for (String b : backends.split(",")) {
            Backends.Kind k = Backends.parse(b);
            Backends.kernel(k); // refuses a backend this build does not have, with the reason
            if (!kinds.contains(k)) {
                kinds.add(k);
            }
        }
        return kinds;
    }

    /** {max |a - ref|, 1 if every element is within the float path's tolerance else 0}; NaN matches NaN. */
    static double[] compare(Volume a, Volume ref) {
        double max = 0;
        boolean ok = true;
        long n = a.elementCount();
        for (long i = 0; i < n; i++) {
            double x = a.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            double r = ref.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            if (x == r || Double.isNaN(x) && Double.isNaN(r)) {
                continue;
            }
            double d = Math.abs(x - r); // NaN when only one is NaN
            ok &= d <= Engine.FLOAT_PATH_TOLERANCE * Math.max(1, Math.abs(r));
            max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
        }
        return new double[] {max, ok ? 1 : 0};
    }

    private void print(PrintWriter out, Row r) {
        if (json) {
            out.println(Json.object().put("op", opName == null ? "gaussian" : opName).put("spec", specText)
                    .put("shape", Shapes.parse(r.shape().replace("(", "").replace(")", ""), "shape"))
                    .put("dtype", "float32").put("backend", r.backend())
                    .put("threads", threads != null ? threads : Runtime.getRuntime().availableProcessors())
                    .put("median_ms", r.medianMs(), 2).put("min_ms", r.minMs(), 2).put("runs", r.runs())
                    .put("gb_per_s", r.gbPerS(), 3).put("fma_floor_pct", r.fmaPct(), 1)
                    .putScientific("max_abs_diff", r.maxAbsDiff()).put("within_tolerance", r.ok())
                    .put("speedup_vs_scalar", r.speedup(), 3));
        } else {
            out.printf(Locale.ROOT, "%-16s %-7s %10.1f %10.1f %7.2f %7.1f %12.3g %-4s %8.1fx%n", r.shape(), r.backend(),
                    r.medianMs(), r.minMs(), r.gbPerS(), r.fmaPct(), r.maxAbsDiff(), r.ok() ? "ok" : "FAIL",
                    r.speedup());
        }
        out.flush();
    }

}
