package dev.penumbra.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.penumbra.BadParameterException;
import dev.penumbra.diagnostics.Json;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * {@code bench --matrix}: seven ops in five dtypes on the seed's shape, each beside scipy.ndimage
 * timed in the same run (tools/scipy_matrix.py, one dtype at a time, after Penumbra's cells of that
 * dtype). The data is smoothed random values scaled to each dtype's range, the same recipe on both
 * sides. A cell is scipy's best time over Penumbra's best time.
 */
final class MatrixBench {
    /** The grid's ops, by the names tools/scipy_matrix.py uses. */
    static final Map<String, FilterSpec> OPS = new LinkedHashMap<>();

    static {
        OPS.put("gaussian", FilterSpec.gaussian(3));
        OPS.put("gaussian-d", FilterSpec.gaussian(3).withOrder(0, 0, 1));
        OPS.put("uniform", FilterSpec.of(Op.UNIFORM).withSize(5));
        OPS.put("sobel", FilterSpec.of(Op.SOBEL).withAxis(0));
        OPS.put("laplace", FilterSpec.of(Op.LAPLACE));
        OPS.put("gaussian-laplace", FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(2));
        OPS.put("gaussian-gradient-magnitude", FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(2));
    }

    static final List<DType> DTYPES = List.of(DType.F32, DType.U16, DType.U8, DType.I16, DType.F64);

    /** One cell: Penumbra's times and path, scipy's best. */
    record Cell(String op, DType dtype, double minMs, double medianMs, boolean floatPath, double scipyMs) {
        double speedup() {
            return scipyMs / minMs;
        }
    }

    private MatrixBench() {
    }

    static List<Cell> run(PrintWriter out, boolean json, long[] shape, Schedule schedule, int runs, boolean scipy)
            throws Exception {
        List<Cell> cells = new ArrayList<>();
        for (DType t : DTYPES) {
            Map<String, double[]> ours = new LinkedHashMap<>();
            Map<String, Boolean> paths = new LinkedHashMap<>();
            try (Volume in = volume(shape, t);
                 Volume o = Volume.allocate(DType.filterOutput(t, null), shape)) {
                for (Map.Entry<String, FilterSpec> e : OPS.entrySet()) {
                    Plan plan = e.getValue().plan(shape.length);
                    Run[] last = new Run[1];
                    double[] ms = SeedWorkload.time(runs, () -> last[0] = Engine.run(plan, in, o, schedule));
                    ours.put(e.getKey(), new double[] {ms[0], SeedWorkload.median(ms)});
                    paths.put(e.getKey(), last[0].floatPath());
                }
            }
            Map<String, Double> theirs = scipy ? scipyTimes(shape, t) : Map.of();
            for (String op : OPS.keySet()) {
                double[] m = ours.get(op);
                Cell c = new Cell(op, t, m[0], m[1], paths.get(op), theirs.getOrDefault(op, Double.NaN));
                cells.add(c);
                if (json) {
                    out.println(Json.object().put("op", op).put("shape", shape).put("dtype", t.numpyName())
                            .put("backend", schedule.backend().name().toLowerCase(Locale.ROOT))
                            .put("threads", schedule.threads()).put("path", c.floatPath() ? "float32" : "float64")
                            .put("min_ms", c.minMs(), 2).put("median_ms", c.medianMs(), 2).put("runs", runs)
                            .put("scipy_min_ms", c.scipyMs(), 1).put("speedup_vs_scipy", c.speedup(), 2));
                    out.flush();
                }
            }
        }
        if (!json) {
            print(out, cells, shape, schedule);
        }
        return cells;
    }

    private static void print(PrintWriter out, List<Cell> cells, long[] shape, Schedule schedule) {
        out.printf(Locale.ROOT, "x scipy (scipy.ndimage's best time over Penumbra's, same run); shape %s, %s;"
                + " f: float32 path, d: double path%n", Arrays.toString(shape), schedule);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-28s", "op"));
        for (DType t : DTYPES) {
            head.append(String.format(Locale.ROOT, " %12s", t.numpyName()));
        }
        out.println(head);
        for (String op : OPS.keySet()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-28s", op));
            for (DType t : DTYPES) {
                Cell c = cells.stream().filter(x -> x.op().equals(op) && x.dtype() == t).findFirst().orElseThrow();
                row.append(String.format(Locale.ROOT, " %10.1fx%s", c.speedup(), c.floatPath() ? "f" : "d"));
            }
            out.println(row);
        }
        double[] s = cells.stream().mapToDouble(Cell::speedup).filter(Double::isFinite).sorted().toArray();
        if (s.length > 0) {
            out.printf(Locale.ROOT, "cells: %d; lowest %.1fx, median %.1fx, highest %.1fx%n", s.length, s[0],
                    s[s.length / 2], s[s.length - 1]);
        }
        out.flush();
    }

    /** scipy's best ms for each op on dtype {@code t}, from tools/scipy_matrix.py. */
    private static Map<String, Double> scipyTimes(long[] shape, DType t) throws Exception {
        String root = System.getenv().getOrDefault("PENUMBRA_ROOT", ".");
        Path script = Path.of(root).resolve("tools/scipy_matrix.py").normalize();
        if (!Files.exists(script)) {
            throw new BadParameterException("scipy: " + script + " not found (run from the repository, or set"
                    + " PENUMBRA_ROOT)");
        }
        Process p = new ProcessBuilder("python3", script.toString(), "--shape",
                String.join(",", Arrays.stream(shape).mapToObj(Long::toString).toList()), "--dtypes", t.numpyName())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Map<String, Double> ms = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            try {
                JsonElement e = Json.parse(line.strip());
                if (e.isJsonObject()) {
                    JsonObject o = e.getAsJsonObject();
                    ms.put(o.get("op").getAsString(), o.get("min_ms").getAsDouble());
                }
            } catch (RuntimeException notJson) {
                // a warning line: look further
            }
        }
        if (p.exitValue() != 0 || ms.size() < OPS.size()) {
            throw new BadParameterException("scipy: tools/scipy_matrix.py failed (python3 with numpy and scipy is"
                    + " needed): " + Main.oneLine(text));
        }
        return ms;
    }

    /**
     * Standard normal values smoothed by a sigma-1 Gaussian and standardised; integer dtypes scaled to
     * span 5 %..95 % of their range (tools/scipy_matrix.py's recipe, with Java's random numbers).
     */
    static Volume volume(long[] shape, DType t) {
        try (Volume noise = Volume.allocate(DType.F32, shape); Volume smooth = Volume.allocate(DType.F32, shape)) {
            long n = noise.elementCount();
            int parts = 64;
            IntStream.range(0, parts).parallel().forEach(part -> {
                SplittableRandom r = new SplittableRandom(7L * 1_000_003 + part);
                for (long i = n * part / parts; i < n * (part + 1) / parts; i++) {
                    noise.writeDouble(i * 4, r.nextGaussian());
                }
            });
            Engine.run(FilterSpec.gaussian(1).plan(shape.length), noise, smooth, Schedule.defaults());
            double sum = 0;
            double sq = 0;
            for (long i = 0; i < n; i++) {
                double v = smooth.readDouble(i * 4);
                sum += v;
                sq += v * v;
            }
            double mean = sum / n;
            double std = Math.sqrt(Math.max(1e-30, sq / n - mean * mean));
            Volume v = Volume.allocate(t, shape);
            double lo = 0;
            double hi = 0;
            if (!t.isFloating()) {
                double min = switch (t) {
                    case U8, U16, U32 -> 0;
                    case I8 -> Byte.MIN_VALUE;
                    case I16 -> Short.MIN_VALUE;
                    default -> Integer.MIN_VALUE;
                };
                double max = switch (t) {
                    case U8 -> 255;
                    case I8 -> Byte.MAX_VALUE;
                    case U16 -> 65535;
                    case I16 -> Short.MAX_VALUE;
                    default -> Integer.MAX_VALUE;
                };
                lo = min + 0.05 * (max - min);
                hi = min + 0.95 * (max - min);
            }
            for (long i = 0; i < n; i++) {
                double z = (smooth.readDouble(i * 4) - mean) / std;
                double x = t.isFloating() ? z : Math.rint(lo + (Math.max(-4, Math.min(4, z)) + 4) / 8 * (hi - lo));
                v.writeDouble(i * t.size(), x);
            }
            return v;
        }
    }
}
