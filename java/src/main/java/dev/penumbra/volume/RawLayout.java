package dev.penumbra.volume;

import java.nio.ByteOrder;

/**
 * How to read a headerless file: element type, byte order, C-order shape, and the number of bytes
 * to skip before the data (the seed's {@code .vol} is raw little-endian float32 with no header).
 */
public record RawLayout(DType dtype, ByteOrder order, long[] shape, long offset) {
    public RawLayout {
        shape = shape.clone();
    }

    public long dataBytes() {
        return Math.multiplyExact(Shapes.elementCount(shape, "raw shape"), (long) dtype.size());
    }
}
