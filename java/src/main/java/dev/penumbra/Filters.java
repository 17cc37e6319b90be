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
import dev.penumbra.volume.VolumeFiles;
import java.nio.file.Path;

/**
 * scipy.ndimage's separable filters, with scipy's names and semantics, on {@link Volume}s and
 * files. Results match scipy within 1e-5·max(1,|ref|) for float32 output and 1e-10 for float64.
 *
 * <pre>{@code
 * // scipy: out = ndimage.gaussian_filter(vol, sigma=3, output=np.float32)
 * try (Volume vol = VolumeFiles.mapNpy(Path.of("vol.npy"));
 *      Volume out = Volume.allocate(DType.F32, vol.shape())) {
 *     Filters.gaussian(vol, out, new double[] {3}, new int[] {0}, BoundaryMode.REFLECT, 0.0, 4.0);
 * }
 * }</pre>
 * Every method runs with {@link Schedule#defaults()} (all cores, best backend); use
 * {@link #apply(FilterSpec, Volume, Volume, Schedule)} to choose.
 */
public final class Filters {
    private Filters() {
    }

    /** {@code gaussian_filter(in, sigma, order, output=out, mode, cval, truncate)}. */
    public static void gaussian(Volume in, Volume out, double[] sigma, int[] order, BoundaryMode mode, double cval,
                                double truncate) {
        apply(FilterSpec.gaussian(sigma).withOrder(order).withMode(mode).withCval(cval).withTruncate(truncate), in, out);
    }

    /** {@code uniform_filter(in, size, output=out, mode, cval)}. */
    public static void uniform(Volume in, Volume out, int[] size, BoundaryMode mode, double cval) {
        apply(FilterSpec.of(Op.UNIFORM).withSize(size).withMode(mode).withCval(cval), in, out);
    }

    /** {@code sobel(in, axis, output=out, mode, cval)}. */
    public static void sobel(Volume in, Volume out, int axis, BoundaryMode mode, double cval) {
        apply(FilterSpec.of(Op.SOBEL).withAxis(axis).withMode(mode).withCval(cval), in, out);
    }

    /** {@code prewitt(in, axis, output=out, mode, cval)}. */
    public static void prewitt(Volume in, Volume out, int axis, BoundaryMode mode, double cval) {
        apply(FilterSpec.of(Op.PREWITT).withAxis(axis).withMode(mode).withCval(cval), in, out);
    }

    /** {@code laplace(in, output=out, mode, cval)}. */
    public static void laplace(Volume in, Volume out, BoundaryMode mode, double cval) {
        apply(FilterSpec.of(Op.LAPLACE).withMode(mode).withCval(cval), in, out);
    }

    /** {@code gaussian_laplace(in, sigma, output=out, mode, cval, truncate)}. */
    public static void gaussianLaplace(Volume in, Volume out, double[] sigma, BoundaryMode mode, double cval,
                                       double truncate) {
        apply(FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(sigma).withMode(mode).withCval(cval)
                .withTruncate(truncate), in, out);
    }

    /** {@code gaussian_gradient_magnitude(in, sigma, output=out, mode, cval, truncate)}. */
    public static void gaussianGradientMagnitude(Volume in, Volume out, double[] sigma, BoundaryMode mode, double cval,
                                                 double truncate) {
        apply(FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(sigma).withMode(mode).withCval(cval)
                .withTruncate(truncate), in, out);
    }

    /** {@code correlate1d(in, weights, axis, output=out, mode, cval, origin)}. */
    public static void correlate1d(Volume in, Volume out, double[] weights, int axis, BoundaryMode mode, double cval,
                                   int origin) {
        apply(FilterSpec.of(Op.CORRELATE1D).withWeights(weights).withAxis(axis).withMode(mode).withCval(cval)
                .withOrigin(origin), in, out);
    }

    public static Run apply(FilterSpec spec, Volume in, Volume out) {
        return apply(spec, in, out, Schedule.defaults());
    }

    /** Filters {@code in} into {@code out} as {@code schedule} says, and returns what ran. */
    public static Run apply(FilterSpec spec, Volume in, Volume out, Schedule schedule) {
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
        OutputFile.checkNotSameFile(input, output);
        try (Volume in = VolumeFiles.open(input, raw)) {
            Plan plan = spec.plan(in.rank());
            DType dt = DType.filterOutput(in.dtype(), outDType);
            OutputFile.checkDirectory(output, output.toAbsolutePath().normalize().getParent());
            try (OutputFile out = OutputFile.create(output, dt, in.shape())) {
                Run run = Engine.run(plan, in, out.volume(), schedule);
                out.commit();
                return run;
            }
        }
    }
}
