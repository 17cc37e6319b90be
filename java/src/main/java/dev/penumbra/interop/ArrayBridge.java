package dev.penumbra.interop;

import dev.penumbra.BadParameterException;
import dev.penumbra.Filters;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Pass;
import dev.penumbra.filter.Plan;
import dev.penumbra.filter.Term;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Volume;
import dev.penumbra.zarr.ZarrOutput;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The entry points of the Python package ({@code python/penumbra}): a filter over memory another
 * runtime owns — a numpy array given as (address, extent, dtype, shape, strides) — and a plan in
 * plain arrays, so that the caller needs no reflective access to the FFM classes (JPype reflects on
 * the implementation class of {@code MemorySegment.reinterpret} and is refused without
 * {@code --add-opens}).
 *
 * <p>An array is described as numpy does: {@code address} is its lowest addressed byte, {@code extent}
 * the bytes from there to one past its highest element, {@code origin} the byte offset of element
 * (0,..,0) from {@code address}, {@code strides} in bytes (any sign, multiples of the item size), and
 * {@code dtype} numpy's {@code dtype.str} ({@code <f4}, {@code >u2}, {@code |u1}). Every element the
 * shape and strides address is checked to lie inside the extent before any is touched, so a wrong
 * description gives an exception, not a crash; the caller keeps the arrays alive during the call.
 *
 * <p>A plan is given as its terms' passes, flattened: {@code passesPerTerm[t]} passes for term t;
 * pass p on {@code axes[p]} with boundary {@code modes[p]} (scipy's names) and either a running mean
 * of {@code uniformSizes[p]} (scipy's uniform_filter1d) with {@code origins[p]}, or, where that is
 * 0, {@code weightCounts[p]} correlation weights taken in turn from {@code weights} with
 * {@code origins[p]} (scipy's correlate1d).
 */
public final class ArrayBridge {
    private ArrayBridge() {
    }

    /**
     * Filters the array at {@code inAddress} into the one at {@code outAddress} (the same shape) and
     * returns what ran, in a few words. {@code threads} 0 and {@code backend} null or empty take
     * the defaults (all cores, the fastest backend); {@code arithmetic} null, "auto", "float32" or
     * "float64" ({@link Schedule.Arithmetic}).
     */
    public static String filter(long inAddress, long inExtent, String inDtype, long[] shape, long[] inStrides,
                                long inOrigin, long outAddress, long outExtent, String outDtype, long[] outStrides,
                                long outOrigin, int[] passesPerTerm, int[] axes, String[] modes, int[] origins,
                                int[] uniformSizes, int[] weightCounts, double[] weights, String combine,
                                double cval, int threads, String backend, String arithmetic) {
        Plan plan = plan(shape.length, passesPerTerm, axes, modes, origins, uniformSizes, weightCounts, weights,
                combine, cval);
        Schedule schedule = schedule(threads, backend, arithmetic);
        Volume in = wrap("input", inAddress, inExtent, inDtype, shape, inStrides, inOrigin);
        Volume out = wrap("output", outAddress, outExtent, outDtype, shape, outStrides, outOrigin);
        Run run = Engine.run(plan, in, out, schedule);
        return run.toString();
    }

    /**
     * The arithmetic ("float32" or "float64") that a run of the plan over data within
     * {@code [lo, hi]} takes, for runs over parts of one array (dask's blocks) that must compute as
     * one run over all of it: the float32 path where its error bound holds for that range.
     */
    public static String arithmetic(int rank, int[] passesPerTerm, int[] axes, String[] modes, int[] origins,
                                    int[] uniformSizes, int[] weightCounts, double[] weights, String combine,
                                    double cval, String inDtype, String outDtype, double lo, double hi,
                                    String backend) {
        Plan plan = plan(rank, passesPerTerm, axes, modes, origins, uniformSizes, weightCounts, weights, combine,
                cval);
        Schedule schedule = schedule(0, backend, null);
        Schedule.Arithmetic a = Engine.arithmeticForRange(plan, dtype("input", inDtype), dtype("output", outDtype),
                schedule, lo, hi);
        return a == Schedule.Arithmetic.FLOAT32 ? "float32" : "float64";
    }

    /** {min, max} of the array as float32 reads it (both NaN when it holds NaN), for {@link #arithmetic}. */
    public static double[] range(long address, long extent, String dtype, long[] shape, long[] strides, long origin,
                                 int threads, String backend) {
        float[] r = Engine.range(wrap("input", address, extent, dtype, shape, strides, origin),
                schedule(threads, backend, null));
        return new double[] {r[0], r[1]};
    }

    /** The halo the plan reads on each axis, before and after: {left0, right0, left1, right1, ...}. */
    public static long[] halo(int rank, int[] passesPerTerm, int[] axes, String[] modes, int[] origins,
                              int[] uniformSizes, int[] weightCounts, double[] weights) {
        // the halo is the terms' largest reach, whichever way they combine
        Plan plan = plan(rank, passesPerTerm, axes, modes, origins, uniformSizes, weightCounts, weights,
                passesPerTerm.length > 1 ? "sum" : "single", 0);
        long[] h = new long[2 * rank];
        for (int a = 0; a < rank; a++) {
            h[2 * a] = plan.haloLeft()[a];
            h[2 * a + 1] = plan.haloRight()[a];
        }
        return h;
    }

    /**
     * File to file as {@link dev.penumbra.Filters#applyToFile}: {@code input} a {@code .npy} file, a Zarr
     * array ({@code dataset} inside a group; empty for none), or raw when {@code rawDtype} is given
     * (numpy's dtype string, e.g. {@code <f4}, with {@code rawShape}); {@code output} a {@code .npy} or raw
     * file, or a Zarr array when named {@code *.zarr} or {@code zarrFormat} is 2 or 3 (0: by name), with
     * {@code outChunks} (empty: default) and {@code compressor} (empty: zstd level 3). The output appears
     * atomically and only whole. Parameters as {@link FilterSpec}'s (empty arrays take its defaults);
     * {@code outDtype} null or empty for Penumbra's default.
     */
    public static String filterFile(String op, String input, String output, double[] sigma, int[] order,
                                    double truncate, int[] size, int[] origin, int axis, double[] weights,
                                    String[] modes, double cval, String outDtype, String rawDtype, long[] rawShape,
                                    int threads, String backend, boolean durable, String dataset, int zarrFormat,
                                    long[] outChunks, String compressor, long[] shards) {
        BoundaryMode[] m = modes == null || modes.length == 0 ? null
                : java.util.Arrays.stream(modes).map(BoundaryMode::parse).toArray(BoundaryMode[]::new);
        FilterSpec spec = new FilterSpec(Op.parse(op), sigma, order == null || order.length == 0 ? null : order,
                truncate, size == null || size.length == 0 ? null : size,
                origin == null || origin.length == 0 ? null : origin, axis, weights, m, cval);
        RawLayout raw = rawDtype == null || rawDtype.isEmpty() ? null
                : new RawLayout(dtype("raw dtype", rawDtype), rawDtype.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN
                        : ByteOrder.LITTLE_ENDIAN, rawShape, 0);
        String ds = dataset == null || dataset.isEmpty() ? null : dataset;
        Path in = Path.of(input);
        DType out = outDtype == null || outDtype.isEmpty() ? null : outDtype.trim().equalsIgnoreCase("same")
                ? dev.penumbra.formats.Inputs.dtypeOf(in, ds, raw)
                : DType.parse(outDtype, "output dtype");
        boolean zarrOut = zarrFormat != 0 || (outChunks != null && outChunks.length > 0)
                || (compressor != null && !compressor.isEmpty()) || (shards != null && shards.length > 0)
                || ZarrOutput.namedZarr(Path.of(output));
        if (zarrFormat != 0 && zarrFormat != 2 && zarrFormat != 3) {
            throw new BadParameterException("zarr_format: expected 2 or 3, got " + zarrFormat);
        }
        ZarrOutput z = !zarrOut ? null : new ZarrOutput(zarrFormat == 0 ? 3 : zarrFormat,
                outChunks == null || outChunks.length == 0 ? null : outChunks,
                compressor == null || compressor.isEmpty() ? null : compressor,
                shards == null || shards.length == 0 ? null : shards);
        return Filters.applyToFile(spec, in, ds, raw, Path.of(output), out, z, schedule(threads, backend, null),
                durable).toString();
    }

    /**
     * Starts, on a daemon thread, a few small runs through the default backend — float32 Gaussian,
     * the double path into uint16, a float64 Sobel — so that the native library is bound (FFM's
     * first downcall handles take ~0.1 s), the engine's classes are loaded and the code around the
     * kernels is compiled while the caller is still loading its data. Python calls this once as the
     * JVM starts; a call that comes first simply shares the class initialisation. Failures are
     * ignored here (the caller's own call reports them).
     */
    public static void warmUp() {
        Thread t = new Thread(() -> {
            try {
                for (DType d : new DType[] {DType.F32, DType.U16, DType.F64}) {
                    try (Volume in = Volume.allocate(d, 12, 64, 160); Volume out = Volume.allocate(d, 12, 64, 160)) {
                        FilterSpec spec = d == DType.F64 ? FilterSpec.of(Op.SOBEL).withAxis(0) : FilterSpec.gaussian(3);
                        Engine.run(spec.plan(3), in, out, Schedule.defaults());
                    }
                }
            } catch (Throwable ignored) {
                // the caller's first real call reports whatever failed here
            }
        }, "penumbra-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** The backends this build and CPU run ({@code Backends.available()}), by their CLI names. */
    public static String[] backends() {
        return Backends.available().stream().map(k -> k.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);
    }

    static Plan plan(int rank, int[] passesPerTerm, int[] axes, String[] modes, int[] origins, int[] uniformSizes,
                     int[] weightCounts, double[] weights, String combine, double cval) {
        int passes = axes.length;
        if (modes.length != passes || origins.length != passes || uniformSizes.length != passes
                || weightCounts.length != passes) {
            throw new BadParameterException("plan: " + passes + " axes but " + modes.length + " modes, "
                    + origins.length + " origins, " + uniformSizes.length + " sizes, " + weightCounts.length
                    + " weight counts");
        }
        List<Term> terms = new ArrayList<>();
        int p = 0;
        int w = 0;
        for (int count : passesPerTerm) {
            List<Pass> list = new ArrayList<>();
            for (int i = 0; i < count; i++, p++) {
                if (p >= passes) {
                    throw new BadParameterException("plan: the terms name more passes than the " + passes + " given");
                }
                if (axes[p] < 0 || axes[p] >= rank) {
                    throw new BadParameterException("axis: " + axes[p] + " is out of range for an array of " + rank
                            + " axes");
                }
                Kernel1D k;
                if (uniformSizes[p] > 0) {
                    k = Kernel1D.uniform(uniformSizes[p], origins[p]);
                } else {
                    int n = weightCounts[p];
                    if (n < 1 || w + n > weights.length) {
                        throw new BadParameterException("weights: pass " + p + " takes " + n + " of the "
                                + (weights.length - w) + " weights left");
                    }
                    k = new Kernel1D(java.util.Arrays.copyOfRange(weights, w, w + n), origins[p]);
                    w += n;
                }
                list.add(new Pass(axes[p], k, BoundaryMode.parse(modes[p])));
            }
            terms.add(new Term(list));
        }
        if (p != passes) {
            throw new BadParameterException("plan: " + passes + " passes given, the terms name " + p);
        }
        Plan.Combine c = switch (combine == null ? "single" : combine.toLowerCase(Locale.ROOT)) {
            case "single" -> Plan.Combine.SINGLE;
            case "sum" -> Plan.Combine.SUM;
            case "hypot" -> Plan.Combine.HYPOT;
            default -> throw new BadParameterException("combine: expected single, sum or hypot, got " + combine);
        };
        if (c == Plan.Combine.SINGLE && terms.size() != 1) {
            throw new BadParameterException("combine: single takes one term, got " + terms.size());
        }
        return new Plan(rank, terms, c, cval);
    }

    static Schedule schedule(int threads, String backend, String arithmetic) {
        Schedule s = Schedule.defaults();
        if (threads < 0) {
            throw new BadParameterException("threads: expected a whole number >= 1, got " + threads);
        }
        if (threads > 0) {
            s = s.withThreads(threads);
        }
        if (backend != null && !backend.isEmpty()) {
            s = s.withBackend(Backends.parse(backend));
        }
        if (arithmetic != null && !arithmetic.isEmpty()) {
            s = s.withArithmetic(switch (arithmetic.toLowerCase(Locale.ROOT)) {
                case "auto" -> Schedule.Arithmetic.AUTO;
                case "float32" -> Schedule.Arithmetic.FLOAT32;
                case "float64" -> Schedule.Arithmetic.FLOAT64;
                default -> throw new BadParameterException("arithmetic: expected auto, float32 or float64, got "
                        + arithmetic);
            });
        }
        return s;
    }

    static DType dtype(String what, String str) {
        if (str == null || str.length() < 2) {
            throw new BadParameterException(what + ": expected a numpy dtype string such as <f4, got " + str);
        }
        DType t = DType.fromCode(str.substring(1));
        if (t == null) {
            throw new BadParameterException(what + ": dtype " + str + " is not one Penumbra runs (expected u1 i1 u2 i2"
                    + " u4 i4 i8 f4 f8)");
        }
        return t;
    }

    /** A volume over foreign memory, checked to lie within {@code [address, address + extent)}. */
    static Volume wrap(String what, long address, long extent, String dtypeStr, long[] shape, long[] byteStrides,
                       long originBytes) {
        DType t = dtype(what, dtypeStr);
        char o = dtypeStr.charAt(0);
        ByteOrder order = o == '>' ? ByteOrder.BIG_ENDIAN
                : o == '<' || o == '|' || o == '=' ? (o == '=' ? ByteOrder.nativeOrder() : ByteOrder.LITTLE_ENDIAN)
                : null;
        if (order == null) {
            throw new BadParameterException(what + ": dtype " + dtypeStr + " has no byte order character");
        }
        int rank = shape.length;
        if (byteStrides.length != rank) {
            throw new BadParameterException(what + ": " + byteStrides.length + " strides for " + rank + " axes");
        }
        if (address == 0 || extent < 0) {
            throw new BadParameterException(what + ": no memory (address " + address + ", " + extent + " bytes)");
        }
        int size = t.size();
        if (originBytes % size != 0) {
            throw new BadParameterException(what + ": origin " + originBytes + " is not a multiple of the item size "
                    + size);
        }
        long[] strides = new long[rank];
        long lo = originBytes;
        long hi = originBytes;
        boolean empty = false;
        for (int a = 0; a < rank; a++) {
            if (shape[a] < 0) {
                throw new BadParameterException(what + ": negative extent " + shape[a] + " on axis " + a);
            }
            empty |= shape[a] == 0;
            if (byteStrides[a] % size != 0) {
                throw new BadParameterException(what + ": stride " + byteStrides[a] + " on axis " + a
                        + " is not a multiple of the item size " + size);
            }
            strides[a] = byteStrides[a] / size;
            long span = Math.multiplyExact(Math.max(0, shape[a] - 1), byteStrides[a]);
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
        if (!empty && (lo < 0 || hi + size > extent)) {
            throw new BadParameterException(what + ": the shape and strides reach bytes " + lo + ".." + (hi + size)
                    + " outside its " + extent + " bytes");
        }
        MemorySegment seg = MemorySegment.ofAddress(address).reinterpret(Math.max(extent, size));
        return Volume.wrap(seg, t, order, shape, strides, originBytes / size);
    }
}
