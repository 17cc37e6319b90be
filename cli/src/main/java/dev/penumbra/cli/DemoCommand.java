package dev.penumbra.cli;

import dev.penumbra.BadParameterException;
import dev.penumbra.backend.Backends;
import dev.penumbra.chunk.MapOverlap;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.RawLayout;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The seed notebook end to end: map the volume, Gaussian sigma=3 on the whole of it and in the
 * seed's chunks, check both give the same bytes, and set our times beside the memory floor and the
 * notebook's published numbers.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Replay the SciPy 2017 notebook: gaussian sigma=3 on a (50,1104,1104) float32 volume,"
                + " whole and in (50,552,552) chunks, timed beside the memory floor and the notebook's numbers.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", paramLabel = "FILE", description = "a real raw float32 .vol (or .npy) instead of the"
            + " synthetic volume")
    Path input;

    @Option(names = "--shape", paramLabel = "Z,Y,X", description = "shape of a raw --input (default 50,1104,1104)")
    String shape;

    @Option(names = "--threads", paramLabel = "N", description = "threads for the parallel runs (default: all cores)")
    Integer threads;

    @Option(names = "--backend", paramLabel = "NAME", description = "scalar or simd (default: best available)")
    String backend;

    @Option(names = "--runs", paramLabel = "N", description = "timed runs per row after one warm-up (default 3)")
    int runs = 3;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (runs < 1) {
            throw new BadParameterException("runs: expected a whole number >= 1, got " + runs);
        }
        Schedule all = FilterCommand.schedule(threads, backend, null);
        Path temp = null;
        Volume vol;
        String source;
        if (input != null) {
            long[] s = shape == null ? SeedWorkload.SHAPE : Shapes.parse(shape, "shape");
            vol = VolumeFiles.open(input, VolumeFiles.isNpy(input) ? null
                    : new RawLayout(DType.F32, ByteOrder.LITTLE_ENDIAN, s, 0));
            source = input.toString();
        } else {
            temp = Files.createTempFile("penumbra-demo-", ".vol");
            writeSynthetic(temp);
            vol = VolumeFiles.mapRaw(temp, new RawLayout(DType.F32, ByteOrder.LITTLE_ENDIAN, SeedWorkload.SHAPE, 0));
            source = "synthetic standard normal / max|x| (seed 0), written raw and mapped";
        }
        ExecutorService pool = Executors.newFixedThreadPool(all.threads());
        try (Volume in = vol;
             Volume whole = Volume.allocate(DType.F32, in.shape());
             Volume chunked = Volume.allocate(DType.F32, in.shape())) {
            FilterSpec fs = FilterSpec.gaussian(SeedWorkload.SIGMA);
            Plan plan = fs.plan(in.rank());
            long[] chunks = in.rank() == 3 ? SeedWorkload.SEED_CHUNKS : in.shape();
            double mb = in.byteSize() / 1e6;
            out.printf(Locale.ROOT, "Penumbra demo: the SciPy 2017 notebook's experiment, replayed%n");
            out.printf(Locale.ROOT, "volume  %s %s, %.0f MB: %s%n", FilterCommand.shapeText(in.shape()),
                    in.dtype().numpyName(), mb, source);
            out.printf(Locale.ROOT, "filter  gaussian sigma=3 truncate=4 mode=reflect: radius %d, %d taps per axis,"
                    + " halo %s%n", plan.haloLeft()[0], 2 * plan.haloLeft()[0] + 1, Arrays.toString(plan.halo()));
            out.printf(Locale.ROOT, "backend %s, %d threads for the parallel rows, best of %d runs after a warm-up%n%n",
                    all.backend().name().toLowerCase(Locale.ROOT), all.threads(), runs);

            double[] floor = SeedWorkload.copyFloor(in, whole, runs);
            double[] one = SeedWorkload.time(runs, () -> Engine.run(plan, in, whole, all.withThreads(1)));
            double[] par = SeedWorkload.time(runs, () -> Engine.run(plan, in, whole, all));
            // chunks share the whole volume's arithmetic, so they give its bytes
            Schedule perChunk = all.withThreads(1).withArithmetic(Engine.arithmeticFor(plan, in, whole.dtype(), all));
            double[] chk = SeedWorkload.time(runs, () -> MapOverlap.run(in, chunked, chunks, plan.halo(), pool,
                    (inHalo, off, outCore) -> Engine.run(plan, inHalo, off, outCore, perChunk)));
            long mismatch = MemorySegment.mismatch(whole.segment(), 0, whole.byteSize(), chunked.segment(), 0,
                    chunked.byteSize());
            // the native C kernels beside the Java ones: same operations in the same order, so the same bytes
            boolean withNative = all.backend() == Backends.Kind.SIMD && Backends.nativeAvailable();
            double[] nat = null;
            long nativeMismatch = -1;
            if (withNative) {
                Schedule ns = all.withBackend(Backends.Kind.NATIVE);
                nat = SeedWorkload.time(runs, () -> Engine.run(plan, in, chunked, ns));
                nativeMismatch = MemorySegment.mismatch(whole.segment(), 0, whole.byteSize(), chunked.segment(), 0,
                        chunked.byteSize());
            }

            String fmt = "%-62s %10s %10s%n";
            out.printf(Locale.ROOT, fmt, "run", "best ms", "x floor");
            out.printf(Locale.ROOT, fmt, "-".repeat(62), "-".repeat(10), "-".repeat(10));
            row(out, fmt, "memory floor: copy the same bytes (1 thread)", floor[0], floor[0]);
            row(out, fmt, "penumbra, whole volume, 1 thread", one[0], floor[0]);
            row(out, fmt, "penumbra, whole volume, " + all.threads() + " threads", par[0], floor[0]);
            row(out, fmt, "penumbra, chunks " + FilterCommand.shapeText(chunks) + " + halo "
                    + plan.halo()[plan.rank() - 1] + ", " + all.threads() + " threads", chk[0], floor[0]);
            if (withNative) {
                row(out, fmt, "penumbra native (C via FFM), whole volume, " + all.threads() + " threads", nat[0],
                        floor[0]);
            }
            out.printf(Locale.ROOT, fmt, "notebook (published): skimage.filters.gaussian, 1 core", "2300", "");
            out.printf(Locale.ROOT, fmt, "notebook (published): dask map_overlap, 4 cores", "1940", "");
            out.println();
            out.printf(Locale.ROOT, "speed-up %d threads vs 1: %.2fx; vs the notebook's skimage time: %.1fx%n",
                    all.threads(), one[0] / par[0], 2300 / par[0]);
            if (mismatch == -1) {
                out.printf(Locale.ROOT, "chunked == whole: identical bytes (%.0f MB compared); the halo is the"
                        + " kernel radius, not the notebook's depth 9, so there are no seams%n", whole.byteSize() / 1e6);
            } else {
                out.printf(Locale.ROOT, "chunked != whole: first difference at byte %d%n", mismatch);
                return 1;
            }
            if (withNative) {
                if (nativeMismatch != -1) {
                    out.printf(Locale.ROOT, "native != simd: first difference at byte %d%n", nativeMismatch);
                    return 1;
                }
                out.printf(Locale.ROOT, "native == simd: identical bytes; native is %.2fx simd on %d threads (%s)%n",
                        par[0] / nat[0], all.threads(), Backends.nativeStatus());
            }
            out.printf(Locale.ROOT, "scipy on this machine: ./penumbra bench --scipy --seed-only (times both in one"
                    + " run; absolute times drift)%n");
            return 0;
        } finally {
            pool.shutdownNow();
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static void row(PrintWriter out, String fmt, String what, double ms, double floor) {
        out.printf(Locale.ROOT, fmt, what, String.format(Locale.ROOT, "%.1f", ms),
                String.format(Locale.ROOT, "%.1f", ms / floor));
    }

    private static void writeSynthetic(Path file) throws IOException {
        long bytes = Shapes.elementCount(SeedWorkload.SHAPE, "shape") * 4;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofShared()) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            Volume v = Volume.wrap(seg, DType.F32, ByteOrder.LITTLE_ENDIAN, SeedWorkload.SHAPE,
                    Shapes.cStrides(SeedWorkload.SHAPE), 0);
            SeedWorkload.fill(v, 0);
            seg.force();
        }
    }
}
