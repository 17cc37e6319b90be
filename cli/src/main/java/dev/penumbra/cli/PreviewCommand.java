package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import dev.penumbra.formats.Inputs;
import dev.penumbra.volume.Source;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code penumbra preview INPUT --slice AXIS=INDEX [--after OP options] PNG}: one slice as a
 * greyscale PNG with robust auto-contrast (0.5 and 99.5 percentiles); with {@code --after}, the
 * slice before and after filtering side by side (the notebook's imshow). Only the slice and its
 * halo are filtered, not the volume.
 */
@Command(name = "preview", description = "Write one slice of a volume as a greyscale PNG (robust auto-contrast);"
        + " with --after OP, the slice before and after filtering, side by side.")
final class PreviewCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "input .npy, Zarr, HDF5 or TIFF, or a raw"
            + " file with --shape")
    Path input;

    @Option(names = "--dataset", paramLabel = "PATH", description = "the array inside a Zarr group or the dataset"
            + " inside an HDF5 INPUT (e.g. /entry/data)")
    String dataset;

    @Parameters(index = "1", paramLabel = "PNG", description = "the image to write")
    Path png;

    @Option(names = "--slice", paramLabel = "AXIS=INDEX", description = "the slice (default: the middle of axis 0)")
    String slice;

    @Option(names = "--after", paramLabel = "OP", description = "also show the slice filtered by OP (with its options)")
    String after;

    @CommandLine.Mixin
    OpOptions ops;

    @CommandLine.Mixin
    RawOptions raw;

    @CommandLine.Mixin
    RunOptions run;

    @Option(names = {"-q", "--quiet"}, description = "print nothing on success")
    boolean quiet;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public Integer call() {
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        FilterSpec fs = null;
        if (after != null) {
            fs = ops.spec(Op.parse(after), pr);
        } else {
            for (String o : new String[] {"--sigma", "--order", "--truncate", "--size", "--axis", "--weights",
                                          "--origin", "--mode", "--cval"}) {
                if (pr.hasMatchedOption(o)) {
                    throw new BadParameterException(o + ": a filter option needs --after OP");
                }
            }
        }
        if (run.master != null) {
            throw new BadParameterException("master: preview filters one slice locally; --master is for the filter"
                    + " commands and profile");
        }
        Charts.checkWritable(png, "png");
        try (Inputs.Input opened = Inputs.open(input, dataset, raw.layout(input, pr))) {
            Source in = opened.source();
            if (in.rank() < 2) {
                throw new BadParameterException(input + ": has " + in.rank() + " axis; a preview needs 2 or more");
            }
            long[] lo = new long[in.rank()];
            long[] hi = in.shape();
            int axis = -1;
            if (in.rank() > 2 || slice != null) {
                long[] ai = parseSlice(in);
                axis = (int) ai[0];
                lo[axis] = ai[1];
                hi[axis] = ai[1] + 1;
            }
            // axes beyond the image's two: their middle
            int[] img = imageAxes(in.rank(), axis);
            for (int a = 0; a < in.rank(); a++) {
                if (a != axis && a != img[0] && a != img[1]) {
                    lo[a] = in.shape(a) / 2;
                    hi[a] = lo[a] + 1;
                }
            }
            int h = (int) in.shape(img[0]);
            int w = (int) in.shape(img[1]);
            if ((long) h * w * (fs == null ? 1 : 2) > 200_000_000L) {
                throw new BadParameterException("slice: " + h + " x " + w + " is too large for a preview image");
            }
            long[] shape = new long[in.rank()];
            for (int a = 0; a < in.rank(); a++) {
                shape[a] = hi[a] - lo[a];
            }
            Schedule sc = run.schedule();
            float[] before;
            try (Volume copy = Volume.allocate(DType.F64, shape)) {
                // the slice itself: a size-1 uniform filter is scipy's copy, from any source
                Engine.run(FilterSpec.of(Op.UNIFORM).withSize(1).plan(in.rank()), in, lo, copy, sc);
                before = read(copy, img, h, w);
            }
            BufferedImage left = Images.grey(before, w, h);
            BufferedImage out = left;
            if (fs != null) {
                Plan plan = fs.plan(in.rank());
                try (Volume filtered = Volume.allocate(DType.F64, shape)) {
                    Engine.run(plan, in, lo, filtered, sc); // only the slice, read with its halo
                    float[] af = read(filtered, img, h, w);
                    out = Images.sideBySide(left, "before", Images.grey(af, w, h), "after " + fs);
                }
            }
            Images.writePng(out, png);
            if (!quiet) {
                spec.commandLine().getErr().println("penumbra: preview " + (axis < 0 ? "" : "axis " + axis + " index "
                        + lo[axis] + " ") + "of " + input + " -> " + png + " (" + out.getWidth() + "x" + out.getHeight()
                        + ")");
            }
        }
        return 0;
    }

    /** {axis, index} from --slice, or the middle of axis 0. */
    private long[] parseSlice(Source in) {
        if (slice == null) {
            return new long[] {0, in.shape(0) / 2};
        }
        String[] kv = slice.split("=");
        long a;
        long i;
        try {
            if (kv.length != 2) {
                throw new NumberFormatException();
            }
            a = Long.parseLong(kv[0].trim());
            i = Long.parseLong(kv[1].trim());
        } catch (NumberFormatException e) {
            throw new BadParameterException("slice: '" + slice + "' (expected AXIS=INDEX, e.g. 0=25)");
        }
        if (a < 0) {
            a += in.rank();
        }
        if (a < 0 || a >= in.rank()) {
            throw new BadParameterException("slice: axis " + kv[0].trim() + " is out of range for " + in.rank() + " axes");
        }
        if (i < 0 || i >= in.shape((int) a)) {
            throw new BadParameterException("slice: index " + i + " is outside axis " + a + " of length "
                    + in.shape((int) a));
        }
        return new long[] {a, i};
    }

    /** The last two axes other than the sliced one: rows and columns of the image. */
    private static int[] imageAxes(int rank, int sliced) {
        int[] axes = new int[2];
        int k = 1;
        for (int a = rank - 1; a >= 0 && k >= 0; a--) {
            if (a != sliced) {
                axes[k--] = a;
            }
        }
        return axes;
    }

    /** The slice's values as floats, rows along img[0], columns along img[1]. */
    private static float[] read(Volume v, int[] img, int h, int w) {
        float[] px = new float[h * w];
        long base = v.offset();
        int size = v.dtype().size();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                long e = base + y * v.stride(img[0]) + x * v.stride(img[1]);
                px[y * w + x] = (float) v.readDouble(e * size);
            }
        }
        return px;
    }

    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
