package dev.penumbra.bench;

import dev.penumbra.backend.Backends;
import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.filter.GaussianKernel;
import dev.penumbra.filter.Kernel1D;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one line-kernel call for short and long lines (length 8, 64, the seed's 1104), Java
 * simd against the native kernel through a critical FFM downcall on heap arrays: the difference at
 * length 8 is mostly the downcall's fixed cost (argument checks, heap segments, the call itself).
 * Scores are nanoseconds per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DowncallBenchmark {
    @Param({"8", "64", "1104"})
    int length;

    @Param({"simd", "native"})
    String backend;

    FloatTileKernel kernel;
    Kernel1D k;
    float[] src;
    float[] dst;

    @Setup
    public void setup() {
        kernel = Backends.floatKernel(Backends.parse(backend));
        k = new Kernel1D(GaussianKernel.weights(0.75, 0, 4.0), 0); // radius 3: 7 taps
        src = new float[length + k.size()];
        dst = new float[length];
        Random r = new Random(2);
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) r.nextGaussian();
        }
    }

    @Benchmark
    public float[] line() {
        kernel.line(src, 0, dst, 0, length, k);
        return dst;
    }
}
