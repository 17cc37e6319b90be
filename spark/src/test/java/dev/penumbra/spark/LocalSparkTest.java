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
}
