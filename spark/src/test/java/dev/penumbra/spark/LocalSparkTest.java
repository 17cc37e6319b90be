package dev.penumbra.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.Filters;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import dev.penumbra.zarr.ZarrOutput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code local[2]}: every op on an awkward shape gives the local engine's bytes, and nothing is left over. */
class LocalSparkTest {
    @TempDir
    Path dir;

    @Test
    void everyOpThroughLocalSparkGivesTheLocalBytes() throws Exception {
        Path in = dir.resolve("in.npy");
        long[] shape = {13, 57, 91};
        ByteBuffer b = ByteBuffer.allocate(13 * 57 * 91 * 4).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(4);
        while (b.hasRemaining()) {
            b.putFloat((float) r.nextGaussian());
        }
        Files.write(in, Npy.header(DType.F32, shape));
        Files.write(in, b.array(), StandardOpenOption.APPEND);
        List<FilterSpec> specs = List.of(FilterSpec.gaussian(2.0), FilterSpec.gaussian(1.0).withOrder(0, 1, 2)
                        .withMode("wrap"), FilterSpec.of(Op.UNIFORM).withSize(4).withMode("constant").withCval(0.5),
                FilterSpec.of(Op.SOBEL).withAxis(0), FilterSpec.of(Op.PREWITT).withAxis(1).withMode("nearest"),
                FilterSpec.of(Op.LAPLACE).withMode("mirror"), FilterSpec.of(Op.GAUSSIAN_LAPLACE).withSigma(1.5),
                FilterSpec.of(Op.GAUSSIAN_GRADIENT_MAGNITUDE).withSigma(1.2),
                FilterSpec.of(Op.CORRELATE1D).withWeights(1.0, -2.0, 0.5).withAxis(1).withOrigin(1));
        int i = 0;
        for (FilterSpec fs : specs) {
            Path local = dir.resolve("local" + i + ".npy");
            Path spark = dir.resolve("spark" + i + ".npy");
            Filters.applyToFile(fs, in, null, local, null, Schedule.defaults());
            SparkFilters.Stats st = SparkFilters.applyToFile(fs, in, null, spark, null, Schedule.defaults(),
                    "local[2]");
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(spark), "spark != local: " + fs);
            assertTrue(st.tasks() >= 2 && st.tiles() >= st.tasks(), st.text());
            assertEquals(st.tasks(), st.perTask().size());
            i++;
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp-")), "no leftovers");
        }
    }

    /** Every file under {@code root} (relative path to bytes), for comparing two Zarr arrays byte for byte. */
    static java.util.Map<String, byte[]> files(Path root) throws java.io.IOException {
        java.util.Map<String, byte[]> m = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return m;
    }

    static void assertSameFiles(Path a, Path b) throws java.io.IOException {
        java.util.Map<String, byte[]> fa = files(a);
        java.util.Map<String, byte[]> fb = files(b);
        assertEquals(fa.keySet(), fb.keySet(), "the same files in " + a + " and " + b);
        for (String k : fa.keySet()) {
            assertArrayEquals(fa.get(k), fb.get(k), k + " differs between " + a + " and " + b);
        }
    }

    @Test
    void zarrInAndOutThroughLocalSparkGiveTheLocalChunkFiles() throws Exception {
        Path npy = dir.resolve("in.npy");
        long[] shape = {11, 37, 45};
        ByteBuffer b = ByteBuffer.allocate(11 * 37 * 45 * 2).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(9);
        while (b.hasRemaining()) {
            b.putShort((short) r.nextInt(4000));
        }
        Files.write(npy, Npy.header(DType.U16, shape));
        Files.write(npy, b.array(), StandardOpenOption.APPEND);
        // a uint16 Zarr input of awkward chunks (size-1 uniform is scipy's copy)
        Path in = dir.resolve("in.zarr");
        Filters.applyToFile(FilterSpec.of(Op.UNIFORM).withSize(1), npy, null, null, in, DType.U16,
                new ZarrOutput(2, new long[] {4, 10, 16}, "zlib:1"), Schedule.defaults(), false);
        FilterSpec fs = FilterSpec.gaussian(1.5);
        List<ZarrOutput> outs = List.of(new ZarrOutput(3, null, null), new ZarrOutput(2, new long[] {5, 9, 20}, "blosc-lz4:5"),
                new ZarrOutput(3, new long[] {3, 8, 8}, "zstd:3", new long[] {6, 16, 24}));
        int i = 0;
        for (ZarrOutput zo : outs) {
            Path local = dir.resolve("local" + i + ".zarr");
            Path spark = dir.resolve("spark" + i + ".zarr");
            Filters.applyToFile(fs, in, null, null, local, DType.U16, zo, Schedule.defaults(), false);
            SparkFilters.Stats st = SparkFilters.applyToFile(fs, in, null, null, spark, DType.U16, zo,
                    Schedule.defaults(), "local[2]");
            assertSameFiles(local, spark);
            assertTrue(st.tasks() >= 2 && st.tiles() >= st.tasks(), st.text());
            i++;
        }
        // Zarr in, .npy out: the local engine's bytes
        Path local = dir.resolve("local.npy");
        Path spark = dir.resolve("spark.npy");
        Filters.applyToFile(fs, in, null, null, local, null, null, Schedule.defaults(), true);
        SparkFilters.applyToFile(fs, in, null, null, spark, null, null, Schedule.defaults(), "local[2]");
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(spark));
        try (Stream<Path> s = Files.walk(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp-")
                    || p.getFileName().toString().contains(".partial")), "no leftovers");
        }
    }
}
