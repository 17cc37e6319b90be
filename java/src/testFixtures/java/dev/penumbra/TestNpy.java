package dev.penumbra;

import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongToDoubleFunction;

/** Test inputs as files: a float32 .npy whose element i (C order) is {@code valueAt(i)}, asked in order. */
public final class TestNpy {
    private TestNpy() {
    }

    public static Path writeF32(Path file, long[] shape, LongToDoubleFunction valueAt) throws IOException {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        Files.write(file, Npy.header(DType.F32, shape));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i++) {
                b.putFloat((float) valueAt.applyAsDouble(i));
                if (!b.hasRemaining() || i == n - 1) {
                    b.flip();
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    b.clear();
                }
            }
        }
        return file;
    }
}
