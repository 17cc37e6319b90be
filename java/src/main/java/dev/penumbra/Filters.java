package dev.penumbra;

import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.VolumeFiles;
import dev.penumbra.zarr.ZarrArray;
import dev.penumbra.zarr.ZarrOutput;
import dev.penumbra.zarr.ZarrSink;
import dev.penumbra.formats.Inputs;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * scipy.ndimage's separable filters, with scipy's names, defaults and semantics, on {@link Volume}s
 * and files. Results match scipy within 1e-5·max(1,|ref|) for float32 output and 1e-10 for float64.
 * Each filter comes as a ladder of overloads, as ImgLib2's {@code Gauss3}: the common call with
 * scipy's defaults, then every parameter.
 *
 * <pre>{@code
 * // scipy: out = ndimage.gaussian_filter(vol, 3, output=np.float32)
 * try (Volume vol = VolumeFiles.mapNpy(Path.of("vol.npy"));
 *      Volume out = Filters.newOutput(vol)) {
 *     Filters.gaussian(vol, out, 3.0);
 * }
 * }</pre>
 * The output must have the input's shape (scipy's {@code output=} array); float32, or float64 (for
 * float64 input scipy's default). Every method runs with {@link Schedule#defaults()} (all cores,
 * the fastest backend); {@link #apply(FilterSpec, Volume, Volume, Schedule)} takes a schedule.
 * Errors: {@link BadParameterException} for a parameter scipy would refuse or an output of another
 * shape or dtype, with a one-line message naming it.
 */
public final class Filters {
    private Filters() {
    }

    /**
     * A zero-filled off-heap volume for the output of filtering {@code in}: its shape, and float64 for
     * float64 input, else float32 (scipy's defaults). Close it when done.
     */
    public static Volume newOutput(Volume in) {
        return Volume.allocate(DType.filterOutput(in.dtype(), null), in.shape());
    }

    /** {@code gaussian_filter(in, sigma, output=out)}: every axis, reflect mode, truncate 4. */
    public static Run gaussian(Volume in, Volume out, double sigma) {
        return apply(FilterSpec.gaussian(sigma), in, out);
    }

    /** {@code gaussian_filter(in, sigma=(s0, s1, ..), output=out)}: one sigma per axis. */
    public static Run gaussian(Volume in, Volume out, double[] sigma) {
        return apply(FilterSpec.gaussian(sigma), in, out);
    }

    /** {@code gaussian_filter(in, sigma, order, output=out, mode, cval, truncate)}. */
    public static Run gaussian(Volume in, Volume out, double[] sigma, int[] order, BoundaryMode mode, double cval,
                               double truncate) {
        return apply(FilterSpec.gaussian(sigma).withOrder(order).withMode(mode).withCval(cval).withTruncate(truncate),
                in, out);
    }

    /** {@code uniform_filter(in, size, output=out)}: reflect mode. */
    public static Run uniform(Volume in, Volume out, int size) {
        return apply(FilterSpec.of(Op.UNIFORM).withSize(size), in, out);
    }

    /** {@code uniform_filter(in, size, output=out, mode, cval)}. */
    public static Run uniform(Volume in, Volume out, int[] size, BoundaryMode mode, double cval) {
        return apply(FilterSpec.of(Op.UNIFORM).withSize(size).withMode(mode).withCval(cval), in, out);
    }

    /** {@code sobel(in, axis, output=out)}: reflect mode. */
    public static Run sobel(Volume in, Volume out, int axis) {
        return apply(FilterSpec.of(Op.SOBEL).withAxis(axis), in, out);
    }

    /** {@code sobel(in, axis, output=out, mode, cval)}. */
    public static Run sobel(Volume in, Volume out, int axis, BoundaryMode mode, double cval) {
        return apply(FilterSpec.of(Op.SOBEL).withAxis(axis).withMode(mode).withCval(cval), in, out);
    }

    /** {@code prewitt(in, axis, output=out)}: reflect mode. */
    public static Run prewitt(Volume in, Volume out, int axis) {
        return apply(FilterSpec.of(Op.PREWITT).withAxis(axis), in, out);
    }

    /** {@code prewitt(in, axis, output=out, mode, cval)}. */
    public static Run prewitt(Volume in, Volume out, int axis, BoundaryMode mode, double cval) {
        return apply(FilterSpec.of(Op.PREWITT).withAxis(axis).withMode(mode).withCval(cval), in, out);
    }

    /** {@code laplace(in, output=out)}: reflect mode. */
    public static Run laplace(Volume in, Volume out) {
        return apply(FilterSpec.of(Op.LAPLACE), in, out);
    }

    /** {@code laplace(in, output=out, mode, cval)}. */
    public static Run laplace(Volume in, Volume out, BoundaryMode mode, double cval) {
        return apply(FilterSpec.of(Op.LAPLACE).withMode(mode).withCval(cval), in, out);
    }

    /** {@code gaussian_laplace(in, sigma, output=out)}: reflect mode, truncate 4. */
    public static Run gaussianLaplace(Volume in, Volume out, double sigma) {
        return apply(FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(sigma), in, out);
    }

    /** {@code gaussian_laplace(in, sigma, output=out, mode, cval, truncate)}. */
    public static Run gaussianLaplace(Volume in, Volume out, double[] sigma, BoundaryMode mode, double cval,
                                      double truncate) {
        return apply(FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(sigma).withMode(mode).withCval(cval)
                .withTruncate(truncate), in, out);
    }

    /** {@code gaussian_gradient_magnitude(in, sigma, output=out)}: reflect mode, truncate 4. */
    public static Run gaussianGradientMagnitude(Volume in, Volume out, double sigma) {
        return apply(FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(sigma), in, out);
    }

    /** {@code gaussian_gradient_magnitude(in, sigma, output=out, mode, cval, truncate)}. */
    public static Run gaussianGradientMagnitude(Volume in, Volume out, double[] sigma, BoundaryMode mode,
                                                double cval, double truncate) {
        return apply(FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(sigma).withMode(mode).withCval(cval)
                .withTruncate(truncate), in, out);
    }

    /** {@code correlate1d(in, weights, axis, output=out)}: reflect mode, origin 0. */
    public static Run correlate1d(Volume in, Volume out, double[] weights, int axis) {
        return apply(FilterSpec.of(Op.CORRELATE1D).withWeights(weights).withAxis(axis), in, out);
    }

    /** {@code correlate1d(in, weights, axis, output=out, mode, cval, origin)}. */
    public static Run correlate1d(Volume in, Volume out, double[] weights, int axis, BoundaryMode mode, double cval,
                                  int origin) {
        return apply(FilterSpec.of(Op.CORRELATE1D).withWeights(weights).withAxis(axis).withMode(mode).withCval(cval)
                .withOrigin(origin), in, out);
    }

    /** Filters {@code in} into {@code out} as {@code spec} says, with {@link Schedule#defaults()}. */
    public static Run apply(FilterSpec spec, Volume in, Volume out) {
        return apply(spec, in, out, Schedule.defaults());
    }

    /** Filters {@code in} into {@code out} as {@code schedule} says, and returns what ran. */
    public static Run apply(FilterSpec spec, Volume in, Volume out, Schedule schedule) {
        if (!Arrays.equals(in.shape(), out.shape())) {
            // Engine.run takes a smaller output as a box of the input; scipy's output= must match
            throw new BadParameterException("output", "shape " + Arrays.toString(out.shape())
                    + " differs from the input's " + Arrays.toString(in.shape()) + " (scipy's output must have the"
                    + " input's shape)");
        }
        Plan plan = spec.plan(in.rank());
        return Engine.run(plan, in, out, schedule);
    }

    /**
     * File to file: maps {@code input} ({@code .npy}, or raw with {@code raw} given), filters it, and
     * writes {@code output} atomically ({@code .npy} by name, else raw little-endian C order). On any
     * failure no output file is left and an existing one is untouched.
     */
    public static Run applyToFile(FilterSpec spec, Path input, RawLayout raw, Path output, DType outDType,
                                   Schedule schedule) {
        return applyToFile(spec, input, raw, output, outDType, schedule, true);
    }

    /**
     * {@link #applyToFile(FilterSpec, Path, RawLayout, Path, DType, Schedule)}, forcing the output to
     * disk before it appears only when {@code durable}: a scratch output skips the wait for the disk
     * (it still appears whole and atomically, but a crash or power loss soon after may lose it).
     */
    public static Run applyToFile(FilterSpec spec, Path input, RawLayout raw, Path output, DType outDType,
                                   Schedule schedule, boolean durable) {
        OutputFile.checkNotSameFile(input, output);
        try (Volume in = VolumeFiles.openForOneRun(input, raw)) {
            return intoFile(spec.plan(in.rank()), in, output, DType.filterOutput(in.dtype(), outDType), schedule,
                    durable);
        }
    }

    /**
     * File to file over any input Penumbra reads ({@link Inputs}): {@code input} a {@code .npy} file, a
     * raw file ({@code raw} given), a Zarr array (v2 or v3; in a group, the one at {@code dataset}), an
     * HDF5 dataset ({@code dataset}) or a TIFF stack; {@code
     * output} a {@code .npy} or raw file, or a Zarr array when {@code zarr} is given or its name ends in
     * {@code .zarr}. A Zarr output is written chunk by chunk as the run goes and appears only whole
     * (see {@link ZarrSink}); on any failure nothing is left at {@code output} and an existing output
     * is untouched.
     */
    public static Run applyToFile(FilterSpec spec, Path input, String dataset, RawLayout raw, Path output,
                                   DType outDType, ZarrOutput zarr, Schedule schedule, boolean durable) {
        if (zarr == null && ZarrOutput.namedZarr(output)) {
            zarr = ZarrOutput.defaults();
        }
        if (zarr == null && dataset == null && !Inputs.isContainer(input) && !java.nio.file.Files.isDirectory(input)) {
            return applyToFile(spec, input, raw, output, outDType, schedule, durable);
        }
        OutputFile.checkNotSameFile(input, output);
        try (Inputs.Input in = Inputs.open(input, dataset, raw)) {
            Source src = in.source();
            Plan plan = spec.plan(src.rank());
            DType dt = DType.filterOutput(src.dtype(), outDType);
            if (zarr == null) {
                return intoFile(plan, src, output, dt, schedule, durable).withIo(readText(src));
            }
            long[] chunks = zarr.chunks() != null ? zarr.chunks() : in.store() instanceof ZarrArray z ? z.chunks()
                    : ZarrOutput.defaultChunks(src.shape(), dt);
            try (ZarrSink out = ZarrSink.create(output, zarr.format(), dt, src.shape(), chunks, zarr.shards(), zarr.compressor(),
                    durable)) {
                Run run = Engine.run(plan, src, (Sink) out, schedule);
                out.commit();
                String read = readText(src);
                return run.withIo((read.isEmpty() ? "" : read + ", ") + String.format(java.util.Locale.ROOT,
                        "wrote %d %s (%.1f MB)", out.chunkWrites(), out.array().sharded() ? "shards" : "chunks",
                        out.storedBytes() / 1e6));
            }
        }
    }

    /** How often a chunked input's chunks were decoded, e.g. "decoded 20 input chunks (20 in the array)". */
    private static String readText(Source src) {
        return src instanceof dev.penumbra.formats.ChunkedSource c ? "decoded " + c.decodedChunks() + " input chunks ("
                + c.chunkCount() + " in the array)" : "";
    }

    /** Runs {@code plan} over {@code in} into a new .npy or raw file, which appears atomically and only whole. */
    private static Run intoFile(Plan plan, Source in, Path output, DType dt, Schedule schedule, boolean durable) {
        OutputFile.checkDirectory(output, output.toAbsolutePath().normalize().getParent());
        try (OutputFile out = OutputFile.create(output, dt, in.shape())) {
            // a single term writes each element once: staged (no page faults, the disk busy during the
            // run, and forced as it goes when durable). A compound filter whose terms sum in one sweep
            // writes each element once too: staged only when durable, where forcing as it goes wins
            // (seed, Zen 3, alternating: float32 laplace 1.94 -> 1.26 s, float64 2.86 -> 1.81 s,
            // gradient magnitude sigma 2 2.72 -> 1.96 s); with --no-sync, mixed (float32 laplace 1.17
            // -> 1.09 s, float64 1.59 -> 1.67 s), so mapped as before. Elsewhere (a forced team,
            // scratch over budget) its terms fold into the mapped output one at a time
            Sink sink = plan.terms().size() == 1 || durable && Engine.sweepsTerms(plan, in.shape(), schedule)
                    ? out.writeOnlySink(durable) : out.volume();
            Run run = Engine.run(plan, in, sink, schedule);
            out.commit(durable);
            return run;
        }
    }
}
