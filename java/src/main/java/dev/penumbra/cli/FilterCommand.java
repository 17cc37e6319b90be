package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.Filters;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.VolumeFiles;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** One filter op: {@code penumbra OP [options] INPUT OUTPUT}. */
abstract class FilterCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "input .npy, or a raw file with --shape")
    Path input;

    @Parameters(index = "1", paramLabel = "OUTPUT",
            description = "output .npy; any other name is written raw (C order, little-endian)")
    Path output;

    @Option(names = "--sigma", paramLabel = "S|S0,S1,..", description = "Gaussian standard deviation, one or per axis")
    String sigma;

    @Option(names = "--order", paramLabel = "N|N0,N1,..", description = "derivative order, one or per axis (default 0)")
    String order;

    @Option(names = "--truncate", paramLabel = "T", description = "kernel radius in sigmas (default 4.0)")
    Double truncate;

    @Option(names = "--size", paramLabel = "N|N0,N1,..", description = "uniform filter size, one or per axis (default 3)")
    String size;

    @Option(names = "--axis", paramLabel = "A", description = "axis for sobel, prewitt, correlate1d (default -1)")
    Integer axis;

    @Option(names = "--weights", paramLabel = "w0,w1,..", description = "correlate1d weights")
    String weights;

    @Option(names = "--origin", paramLabel = "O|O0,O1,..", description = "origin for uniform and correlate1d (default 0)")
    String origin;

    @Option(names = "--mode", paramLabel = "MODE", description = "reflect (default), mirror, nearest, wrap, constant,"
            + " grid-mirror, grid-constant, grid-wrap; one or per axis, comma-separated")
    String mode;

    @Option(names = "--cval", paramLabel = "V", description = "value outside the volume for mode constant (default 0)")
    Double cval;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "scalar, simd (default when available), native, blas")
    String backend;

    @Option(names = "--output-dtype", paramLabel = "DTYPE", description = "float32 or float64 (default: float64 for"
            + " float64 input, else float32)")
    String outputDtype;

    @Option(names = "--chunks", paramLabel = "C0,C1,..", description = "chunk shape (default: chosen from the cache budget)")
    String chunks;

    @Option(names = "--shape", paramLabel = "Z,Y,X", description = "shape of a raw INPUT (C order)")
    String shape;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "element type of a raw INPUT (default float32)")
    String dtype;

    @Option(names = "--byte-order", paramLabel = "little|big", description = "byte order of a raw INPUT (default little)")
    String byteOrder;

    @Option(names = "--offset", paramLabel = "BYTES", description = "header bytes to skip in a raw INPUT (default 0)")
    Long offset;

    @Option(names = {"-q", "--quiet"}, description = "print nothing on success")
    boolean quiet;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    abstract Op op();

    /** Options this op takes besides the common ones. */
    abstract Set<String> ownOptions();

    /** Options this op cannot run without. */
    Set<String> requiredOptions() {
        return Set.of();
    }

    private static final List<String> OP_OPTIONS =
            List.of("--sigma", "--order", "--truncate", "--size", "--axis", "--weights", "--origin");

    @Override
    public Integer call() {
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        for (String name : OP_OPTIONS) {
            if (pr.hasMatchedOption(name) && !ownOptions().contains(name)) {
                throw new BadParameterException(name + ": does not apply to " + op().cliName()
                        + " (it takes " + String.join(", ", ownOptions().stream().sorted().toList()) + ")");
            }
        }
        for (String name : requiredOptions()) {
            if (!pr.hasMatchedOption(name)) {
                throw new BadParameterException(name + ": required for " + op().cliName());
            }
        }
        FilterSpec fs = FilterSpec.of(op());
        if (sigma != null) {
            fs = fs.withSigma(doubles(sigma, "sigma"));
        }
        if (order != null) {
            fs = fs.withOrder(ints(order, "order"));
        }
        if (truncate != null) {
            fs = fs.withTruncate(truncate);
        }
        if (size != null) {
            fs = fs.withSize(ints(size, "size"));
        }
        if (axis != null) {
            fs = fs.withAxis(axis);
        }
        if (weights != null) {
            fs = fs.withWeights(doubles(weights, "weights"));
        }
        if (origin != null) {
            fs = fs.withOrigin(ints(origin, "origin"));
        }
        if (mode != null) {
            fs = fs.withMode(mode.split(","));
        }
        if (cval != null) {
            fs = fs.withCval(cval);
        }
        Schedule schedule = schedule(threads, backend, chunks);
        RawLayout raw = rawLayout();
        DType outType = outputDtype == null ? null : DType.parse(outputDtype, "output-dtype");
        long t0 = System.nanoTime();
        Filters.applyToFile(fs, input, raw, output, outType, schedule);
        if (!quiet) {
            if (schedule.backend() == Backends.Kind.NATIVE) {
                spec.commandLine().getErr().println("penumbra: native backend: " + Backends.nativeStatus());
            }
            spec.commandLine().getErr().printf(Locale.ROOT, "penumbra: %s: %s -> %s in %.3f s (%s)%n", fs, input, output,
                    (System.nanoTime() - t0) / 1e9, schedule);
        }
        return 0;
    }

    static Schedule schedule(Integer threads, String backend, String chunks) {
        Schedule s = Schedule.defaults();
        if (threads != null) {
            s = s.withThreads(threads);
        }
        if (backend != null) {
            s = s.withBackend(Backends.parse(backend));
            Backends.kernel(s.backend());
        }
        if (chunks != null) {
            s = s.withChunks(Shapes.parse(chunks, "chunks"));
        }
        return s;
    }

    private RawLayout rawLayout() {
        boolean npy = VolumeFiles.isNpy(input);
        if (npy) {
            for (String o : List.of("--shape", "--dtype", "--byte-order", "--offset")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                    throw new BadParameterException(o + ": applies to raw input only; " + input
                            + " is a .npy file and carries its own header");
                }
            }
            return null;
        }
        if (shape == null) {
            throw new BadParameterException(input + ": not a .npy file; give --shape (and --dtype) to read it as raw");
        }
        ByteOrder bo = ByteOrder.LITTLE_ENDIAN;
        if (byteOrder != null) {
            bo = switch (byteOrder.toLowerCase(Locale.ROOT)) {
                case "little", "le", "<" -> ByteOrder.LITTLE_ENDIAN;
                case "big", "be", ">" -> ByteOrder.BIG_ENDIAN;
                default -> throw new BadParameterException("byte-order: '" + byteOrder + "' (expected little or big)");
            };
        }
        return new RawLayout(dtype == null ? DType.F32 : DType.parse(dtype, "dtype"), bo, Shapes.parse(shape, "shape"),
                offset == null ? 0 : offset);
    }

    static double[] doubles(String text, String name) {
        String[] parts = text.split(",");
        double[] v = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new BadParameterException(name + ": '" + parts[i].trim() + "' is not a number");
            }
        }
        return v;
    }

    static int[] ints(String text, String name) {
        String[] parts = text.split(",");
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new BadParameterException(name + ": '" + parts[i].trim() + "' is not a whole number");
            }
        }
        return v;
    }

    @Command(name = "gaussian", description = "scipy.ndimage.gaussian_filter")
    static final class Gaussian extends FilterCommand {
        Op op() {
            return Op.GAUSSIAN;
        }

        Set<String> ownOptions() {
            return Set.of("--sigma", "--order", "--truncate");
        }

        @Override
        Set<String> requiredOptions() {
            return Set.of("--sigma");
        }
    }

    @Command(name = "uniform", description = "scipy.ndimage.uniform_filter")
    static final class Uniform extends FilterCommand {
        Op op() {
            return Op.UNIFORM;
        }

        Set<String> ownOptions() {
            return Set.of("--size", "--origin");
        }
    }

    @Command(name = "sobel", description = "scipy.ndimage.sobel")
    static final class Sobel extends FilterCommand {
        Op op() {
            return Op.SOBEL;
        }

        Set<String> ownOptions() {
            return Set.of("--axis");
        }
    }

    @Command(name = "prewitt", description = "scipy.ndimage.prewitt")
    static final class Prewitt extends FilterCommand {
        Op op() {
            return Op.PREWITT;
        }

        Set<String> ownOptions() {
            return Set.of("--axis");
        }
    }

    @Command(name = "laplace", description = "scipy.ndimage.laplace")
    static final class Laplace extends FilterCommand {
        Op op() {
            return Op.LAPLACE;
        }

        Set<String> ownOptions() {
            return Set.of();
        }
    }

    @Command(name = "gaussian-laplace", description = "scipy.ndimage.gaussian_laplace")
    static final class GaussianLaplace extends FilterCommand {
        Op op() {
            return Op.GAUSSIAN_LAPLACE;
        }

        Set<String> ownOptions() {
            return Set.of("--sigma", "--truncate");
        }

        @Override
        Set<String> requiredOptions() {
            return Set.of("--sigma");
        }
    }

    @Command(name = "gaussian-gradient-magnitude", description = "scipy.ndimage.gaussian_gradient_magnitude")
    static final class GaussianGradientMagnitude extends FilterCommand {
        Op op() {
            return Op.GAUSSIAN_GRADIENT_MAGNITUDE;
        }

        Set<String> ownOptions() {
            return Set.of("--sigma", "--truncate");
        }

        @Override
        Set<String> requiredOptions() {
            return Set.of("--sigma");
        }
    }

    @Command(name = "correlate1d", description = "scipy.ndimage.correlate1d")
    static final class Correlate1d extends FilterCommand {
        Op op() {
            return Op.CORRELATE1D;
        }

        Set<String> ownOptions() {
            return Set.of("--weights", "--axis", "--origin");
        }

        @Override
        Set<String> requiredOptions() {
            return Set.of("--weights");
        }
    }

    static String shapeText(long[] s) {
        return Arrays.toString(s).replace("[", "(").replace("]", ")");
    }
}
