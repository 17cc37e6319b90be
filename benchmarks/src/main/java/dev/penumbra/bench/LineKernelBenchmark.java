package dev.penumbra.bench;

import dev.penumbra.backend.Backends;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.filter.GaussianKernel;
import dev.penumbra.filter.Kernel1D;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The line kernels on one 1104-sample line (the seed volume's row), for Gaussian radii 1, 3 and
 * 12 (sigma 3, the seed) and order 0 (symmetric fold) and 1 (antisymmetric fold). Reports output
 * samples per microsecond.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/penumbra-benchmarks.jar LineKernel
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LineKernelBenchmark {
    static final int N = 1104;

    @Param({"scalar", "simd"})
    String backend;

    @Param({"1", "3", "12"})
    int radius;

    @Param({"0", "1"})
    int order;

    LineKernel kernel;
    Kernel1D k;
    double[] src;
    double[] dst;

    @Setup
    public void setup() {
        kernel = Backends.kernel(Backends.parse(backend));
        double sigma = radius / 4.0;
        k = new Kernel1D(GaussianKernel.weights(sigma, order, 4.0), 0);
        if (k.left() != radius) {
            throw new IllegalStateException("radius " + k.left() + " != " + radius);
        }
        src = new double[N + 2 * radius];
        dst = new double[N];
        Random r = new Random(1);
        for (int i = 0; i < src.length; i++) {
            src[i] = r.nextGaussian();
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void correlateLine(Blackhole bh) {
        kernel.correlate(src, 0, dst, 0, N, k);
        bh.consume(dst);
    }
}
