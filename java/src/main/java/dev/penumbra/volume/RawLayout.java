package dev.penumbra.volume;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * How to read a headerless file: element type, byte order, C-order shape, and the number of bytes
 * to skip before the data (the seed's {@code .vol} is raw little-endian float32 with no header).
 */
public record RawLayout(DType dtype, ByteOrder order, long[] shape, long offset) {
    public RawLayout {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawLayout r && dtype == r.dtype && order.equals(r.order) && Arrays.equals(shape, r.shape)
                && offset == r.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, order, Arrays.hashCode(shape), offset);
    }

    @Override
    public String toString() {
        return "RawLayout[" + dtype.numpyName() + " " + order + " " + Arrays.toString(shape) + " offset " + offset + "]";
    }

    /** Bytes of data the layout describes (shape times element size). */
    public long dataBytes() {
        return Math.multiplyExact(Shapes.elementCount(shape, "raw shape"), (long) dtype.size());
    }
}
