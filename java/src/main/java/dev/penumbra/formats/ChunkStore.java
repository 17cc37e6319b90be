package dev.penumbra.formats;

import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An array stored in chunks of one shape on a regular grid — a Zarr array, a chunked HDF5 dataset,
 * a TIFF stack (a page a chunk) — as {@link ChunkedSource} reads it: one chunk at a time, decoded
 * into memory the reader provides. A decoded chunk is a {@link Volume} over that memory whose
 * strides and byte order say its layout, so nothing is reordered or swapped.
 */
public interface ChunkStore {
    DType dtype();

    /** The array's shape (a copy). */
    long[] shape();

    /** The chunk shape (a copy). */
    long[] chunks();

    /** Bytes a decoded chunk takes (the whole chunk, edge chunks padded). */
    default long unitBytes() {
        return chunkBytes(dtype(), chunks());
    }

    /** Bytes of a chunk of {@code chunk} elements of {@code dtype}. */
    static long chunkBytes(DType dtype, long[] chunk) {
        return dtype.size() * dev.penumbra.volume.Shapes.elementCount(chunk, "chunk");
    }

    /**
     * Reads and decodes the chunk at grid coordinates {@code u} into {@code dst} (at least
     * {@link #unitBytes} bytes), using {@code stage} (as large) for its stored bytes where that helps;
     * null when the chunk is not stored (it reads as {@link #fillUnit}). Damage raises a
     * {@code BadVolumeException} naming the file and the chunk.
     */
    Volume readUnit(long[] u, MemorySegment dst, MemorySegment stage);

    /** A chunk of the fill value, in memory of {@code arena}. */
    Volume fillUnit(Arena arena);

    /** Where the array lives, for messages. */
    String describe();

    /** A chunk of {@code fill} in fresh memory of {@code arena}, laid out by {@code strides} and {@code order}. */
    static Volume filled(Arena arena, DType dtype, java.nio.ByteOrder order, long[] chunk, long[] strides, double fill) {
        long bytes = chunkBytes(dtype, chunk);
        Volume v = Volume.wrap(arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes), dtype, order, chunk, strides, 0);
        if (Double.doubleToRawLongBits(fill) != 0) {
            double[] row = new double[(int) chunk[chunk.length - 1]];
            java.util.Arrays.fill(row, fill);
            dev.penumbra.zarr.ZarrArray.forEachRow(chunk, at -> v.write(at, row.length, row, 0));
        }
        return v;
    }

    /** Releases what reading held open (files, readers). */
    default void close() {
    }
}
