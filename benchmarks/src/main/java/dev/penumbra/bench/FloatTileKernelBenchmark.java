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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The float32 tile kernels on a block of {@code rows} output rows of the seed's width (1104), in
 * cache: {@code rows} is the strided pass (vectorised across the row), {@code line} the contiguous
 * pass. Scores are output samples per nanosecond and thread; the seed volume has 61 M samples per
 * pass, so 1 sample/ns is 61 ms per pass on one thread. {@code backend} compares the Java simd
 * kernels, the native C kernels reached through FFM (the same operations, the same bits) and the
 * OpenBLAS GEMM formulation (banded Toeplitz matrices: wasted multiply-adds on the zeros).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class FloatTileKernelBenchmark {
    static final int WIDTH = 1104;

    @Param({"1", "3", "12", "24"})
    int radius;

    @Param({"16"})
    int rows;

    @Param({"simd", "native", "blas"})
    String backend;

    FloatTileKernel kernel;
    Kernel1D k;
    float[] src;
    float[] dst;
    int[] rowOffset;

    @Setup
    public void setup() {
        kernel = Backends.floatKernel(Backends.parse(backend));
        k = new Kernel1D(GaussianKernel.weights(radius / 4.0, 0, 4.0), 0);
        int pitch = WIDTH + 2 * radius + 16;
        src = new float[(rows + 2 * radius) * pitch];
        dst = new float[rows * pitch];
        Random r = new Random(1);
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) r.nextGaussian();
        }
        rowOffset = new int[rows + 2 * radius];
        for (int i = 0; i < rowOffset.length; i++) {
            rowOffset[i] = i * pitch;
        }
    }

    @Benchmark
    @OperationsPerInvocation(16 * WIDTH)
    public float[] rows() {
        kernel.rows(src, rowOffset, rows, WIDTH, dst, 0, WIDTH + 2 * radius + 16, k);
        return dst;
    }

    @Benchmark
    @OperationsPerInvocation(16 * WIDTH)
    public float[] line() {
        int pitch = WIDTH + 2 * radius + 16;
        for (int o = 0; o < rows; o++) {
            kernel.line(src, o * pitch, dst, o * pitch, WIDTH, k);
        }
        return dst;
    }
}
