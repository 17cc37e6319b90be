package dev.penumbra.bench;

import dev.penumbra.backend.Backends;
import dev.penumbra.engine.Engine;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Gaussian sigma=3 on a (50,552,552) float32 volume (a quarter of the seed) with the simd backend
 * on two threads, for several schedules: {@code stream} (the automatic choice: slabs along axis 1
 * through a ring), fused tiles of given chunk shapes, and {@code unfused} (one pass per axis).
 * Shows why the automatic schedule streams and why tiles cut axis 1, not the contiguous axis.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/penumbra-benchmarks.jar TileSize
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx1g"})
public class TileSizeBenchmark {
    @Param({"stream", "50,35,552", "50,69,552", "50,138,552", "25,69,552", "50,69,138", "unfused"})
    String schedule;

    Volume in;
    Volume out;
    Plan plan;
    Schedule sc;

    @Setup(Level.Trial)
    public void setup() {
        long[] shape = {50, 552, 552};
        in = Volume.allocate(DType.F32, shape);
        out = Volume.allocate(DType.F32, shape);
        Random r = new Random(3);
        for (long i = 0; i < in.elementCount(); i++) {
            in.writeDouble(i * 4, r.nextGaussian() / 5);
        }
        plan = FilterSpec.gaussian(3.0).plan(3);
        sc = Schedule.defaults().withBackend(Backends.Kind.SIMD).withThreads(2);
        if (schedule.equals("unfused")) {
            sc = sc.withFused(false);
        } else if (!schedule.equals("stream")) {
            String[] p = schedule.split(",");
            sc = sc.withChunks(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        in.close();
        out.close();
    }

    @Benchmark
    public Volume gaussianSigma3() {
        Engine.run(plan, in, out, sc);
        return out;
    }
}
