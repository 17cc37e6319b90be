package dev.penumbra;

import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * scipy.ndimage's separable filters, with scipy's names and semantics, on {@link Volume}s and
 * files. Results match scipy within 1e-5·max(1,|ref|) for float32 output and 1e-10 for float64.
 *
 * <pre>{@code
 * // scipy: out = ndimage.gaussian_filter(vol, sigma=3, output=np.float32)
 * try (Volume vol = VolumeFiles.mapNpy(Path.of("vol.npy"));
 *      Volume out = Volume.allocate(DType.F32, vol.shape())) {
 *     Filters.gaussian(vol, out, new double[] {3}, new int[] {0}, "reflect", 0.0, 4.0);
 * }
 * }</pre>
 * Every method runs with {@link Schedule#defaults()} (all cores, best backend); use
 * {@link #apply(FilterSpec, Volume, Volume, Schedule)} to choose.
 */
public final class Filters {
    private Filters() {
    }

    /** {@code gaussian_filter(in, sigma, order, output=out, mode, cval, truncate)}. */
    public static void gaussian(Volume in, Volume out, double[] sigma, int[] order, String mode, double cval,
                                double truncate) {
        apply(FilterSpec.gaussian(sigma).withOrder(order).withMode(mode).withCval(cval).withTruncate(truncate), in, out);
    }

    /** {@code uniform_filter(in, size, output=out, mode, cval)}. */
    public static void uniform(Volume in, Volume out, int[] size, String mode, double cval) {
        apply(FilterSpec.of(Op.UNIFORM).withSize(size).withMode(mode).withCval(cval), in, out);
    }

    /** {@code sobel(in, axis, output=out, mode, cval)}. */
    public static void sobel(Volume in, Volume out, int axis, String mode, double cval) {
        apply(FilterSpec.of(Op.SOBEL).withAxis(axis).withMode(mode).withCval(cval), in, out);
    }

    /** {@code prewitt(in, axis, output=out, mode, cval)}. */
    public static void prewitt(Volume in, Volume out, int axis, String mode, double cval) {
        apply(FilterSpec.of(Op.PREWITT).withAxis(axis).withMode(mode).withCval(cval), in, out);
    }

    /** {@code laplace(in, output=out, mode, cval)}. */
    public static void laplace(Volume in, Volume out, String mode, double cval) {
        apply(FilterSpec.of(Op.LAPLACE).withMode(mode).withCval(cval), in, out);
    }

    /** {@code gaussian_laplace(in, sigma, output=out, mode, cval, truncate)}. */
    public static void gaussianLaplace(Volume in, Volume out, double[] sigma, String mode, double cval,
                                       double truncate) {
        apply(FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(sigma).withMode(mode).withCval(cval)
                .withTruncate(truncate), in, out);
    }

    /** {@code gaussian_gradient_magnitude(in, sigma, output=out, mode, cval, truncate)}. */
    public static void gaussianGradientMagnitude(Volume in, Volume out, double[] sigma, String mode, double cval,
                                                 double truncate) {
        apply(FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(sigma).withMode(mode).withCval(cval)
                .withTruncate(truncate), in, out);
    }

    /** {@code correlate1d(in, weights, axis, output=out, mode, cval, origin)}. */
    public static void correlate1d(Volume in, Volume out, double[] weights, int axis, String mode, double cval,
                                   int origin) {
        apply(FilterSpec.of(Op.CORRELATE1D).withWeights(weights).withAxis(axis).withMode(mode).withCval(cval)
                .withOrigin(origin), in, out);
    }

    public static void apply(FilterSpec spec, Volume in, Volume out) {
        apply(spec, in, out, Schedule.defaults());
    }

    public static void apply(FilterSpec spec, Volume in, Volume out, Schedule schedule) {
        Plan plan = spec.plan(in.rank());
        Engine.run(plan, in, out, schedule);
    }

    /** The output dtype scipy-style: float64 for float64 input (or when asked), else float32. */
    public static DType outputDType(DType input, DType requested) {
        if (requested != null) {
            if (requested != DType.F32 && requested != DType.F64) {
                throw new BadParameterException("output-dtype: " + requested.numpyName()
                        + " is not supported (expected float32 or float64)");
            }
            return requested;
        }
        return input == DType.F64 ? DType.F64 : DType.F32;
    }

    /**
     * File to file: maps {@code input} ({@code .npy}, or raw with {@code raw} given), filters it, and
     * writes {@code output} atomically ({@code .npy} by name, else raw little-endian C order). On any
     * failure no output file is left and an existing one is untouched.
     */
    public static void applyToFile(FilterSpec spec, Path input, RawLayout raw, Path output, DType outDType,
                                   Schedule schedule) {
        checkNotSameFile(input, output);
        try (Volume in = VolumeFiles.open(input, raw)) {
            Plan plan = spec.plan(in.rank());
            DType dt = outputDType(in.dtype(), outDType);
            OutputFile.checkDirectory(output, output.toAbsolutePath().normalize().getParent());
            try (OutputFile out = OutputFile.create(output, dt, in.shape())) {
                Engine.run(plan, in, out.volume(), schedule);
                out.commit();
            }
        }
    }

    /** Refuses an output that is the input itself (also through a link). */
    public static void checkNotSameFile(Path input, Path output) {
        Path a = input.toAbsolutePath().normalize();
        Path b = output.toAbsolutePath().normalize();
        boolean same = a.equals(b);
        if (!same && Files.exists(a) && Files.exists(b)) {
            try {
                same = Files.isSameFile(a, b);
            } catch (IOException e) {
                same = false;
            }
        }
        if (same) {
            throw new OutputException(output + ": output is the input file; choose another output name");
        }
    }
}
