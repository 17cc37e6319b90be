package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.Filters;
import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Monitor;
import dev.penumbra.engine.Run;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.VolumeFiles;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Shapes;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** One filter op: {@code penumbra OP [options] INPUT OUTPUT}. */
abstract class FilterCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "input .npy, a Zarr array (v2 or v3; in a group"
            + " with --dataset), an HDF5 file (--dataset /path), a TIFF stack (multi-page, or a folder of"
            + " slices), or a raw file with --shape")
    Path input;

    @Parameters(index = "1", paramLabel = "OUTPUT",
            description = "output .npy, a Zarr array (named *.zarr, or with --zarr-format); any other name is"
                    + " written raw (C order, little-endian)")
    Path output;

    @CommandLine.Mixin
    OpOptions ops;

    @CommandLine.Mixin
    RawOptions raw;

    @CommandLine.Mixin
    RunOptions run;

    @CommandLine.Mixin
    ContainerOptions containers;

    @Option(names = "--output-dtype", paramLabel = "DTYPE", description = "float32, float64, any integer dtype"
            + " (cast as scipy casts: truncation, wrap-around) or same (the input's, scipy's default); default:"
            + " float64 for float64 input, else float32")
    String outputDtype;

    @Option(names = {"-q", "--quiet"}, description = "print nothing on success")
    boolean quiet;

    @Option(names = "--no-sync", description = "do not wait for the disk before the output appears (for scratch"
            + " outputs: it still appears whole and atomically, but a crash soon after may lose it)")
    boolean noSync;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    abstract Op op();

    @Override
    public Integer call() {
        FilterSpec fs = ops.spec(op(), spec.commandLine().getParseResult());
        Schedule schedule = run.schedule();
        RawLayout layout = raw.layout(input, spec.commandLine().getParseResult());
        DType outType = outputDtype == null ? null : outputDtype.trim().equalsIgnoreCase("same")
                ? containers.dtypeOf(input, layout) : DType.parse(outputDtype, "output-dtype");
        dev.penumbra.zarr.ZarrOutput zarrOut = containers.zarr(output);
        long t0 = System.nanoTime();
        if (Boolean.getBoolean("penumbra.c1only") && schedule.backend() != Backends.Kind.NATIVE) {
            // the launcher chose C1 for a native run; without the native kernels the Java ones need C2
            spec.commandLine().getErr().println("penumbra: note: the native backend did not load ("
                    + Backends.nativeStatus() + "); the " + schedule.backend().name().toLowerCase(Locale.ROOT)
                    + " backend runs slowly under the launcher's C1-only JIT: set PENUMBRA_JAVA_OPTS=-XX:TieredStopAtLevel=4");
        }
        // a signal (Ctrl-C, SIGTERM) interrupts the run, which stops within a batch and removes its
        // temporary output before the JVM exits; SIGKILL leaves a temporary file that says what it is
        Thread runner = Thread.currentThread();
        CountDownLatch finished = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            runner.interrupt();
            try {
                finished.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "penumbra-cancel");
        Runtime.getRuntime().addShutdownHook(onSignal);
        String sparkStats = null;
        Run ran = null;
        try (Progress progress = new Progress(spec.commandLine().getErr(), op().cliName() + " " + input)) {
            if (run.master != null) {
                sparkStats = Spark.apply(fs, input, containers.dataset, layout, output, outType, zarrOut, schedule,
                        run.master);
            } else {
                ran = Filters.applyToFile(fs, input, containers.dataset, layout, output, outType, zarrOut,
                        quiet ? schedule : schedule.withMonitor(new Monitor(progress)), !noSync);
            }
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the run has ended
            }
        }
        if (!quiet) {
            if (run.backend != null && schedule.backend() == Backends.Kind.NATIVE) {
                spec.commandLine().getErr().println("penumbra: native backend: " + Backends.nativeStatus());
            }
            if (sparkStats != null) {
                spec.commandLine().getErr().println("penumbra: " + sparkStats);
            }
            spec.commandLine().getErr().printf(Locale.ROOT, "penumbra: %s: %s -> %s in %.3f s (%s%s)%n", fs, input, output,
                    (System.nanoTime() - t0) / 1e9, schedule, ran == null ? "" : "; ran " + ran.summary());
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
    }

    @Command(name = "uniform", description = "scipy.ndimage.uniform_filter")
    static final class Uniform extends FilterCommand {
        Op op() {
            return Op.UNIFORM;
        }
    }

    @Command(name = "sobel", description = "scipy.ndimage.sobel")
    static final class Sobel extends FilterCommand {
        Op op() {
            return Op.SOBEL;
        }
    }

    @Command(name = "prewitt", description = "scipy.ndimage.prewitt")
    static final class Prewitt extends FilterCommand {
        Op op() {
            return Op.PREWITT;
        }
    }

    @Command(name = "laplace", description = "scipy.ndimage.laplace")
    static final class Laplace extends FilterCommand {
        Op op() {
            return Op.LAPLACE;
        }
    }

    @Command(name = "gaussian-laplace", description = "scipy.ndimage.gaussian_laplace")
    static final class GaussianLaplace extends FilterCommand {
        Op op() {
            return Op.GAUSSIAN_LAPLACE;
        }
    }

    @Command(name = "gaussian-gradient-magnitude", description = "scipy.ndimage.gaussian_gradient_magnitude")
    static final class GaussianGradientMagnitude extends FilterCommand {
        Op op() {
            return Op.GAUSSIAN_GRADIENT_MAGNITUDE;
        }
    }

    @Command(name = "correlate1d", description = "scipy.ndimage.correlate1d")
    static final class Correlate1d extends FilterCommand {
        Op op() {
            return Op.CORRELATE1D;
        }
    }

    static String shapeText(long[] s) {
        return Arrays.toString(s).replace("[", "(").replace("]", ")");
    }
}
