package dev.penumbra.volume;

import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/** Maps {@code .npy} and raw files read-only into volumes that own their mapping. */
public final class VolumeFiles {
    private VolumeFiles() {
    }

    /** True when the file name ends in {@code .npy} (case-insensitive). */
    public static boolean isNpy(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
    }

    /** Maps a {@code .npy} file read-only. Close the volume to unmap it. */
    public static Volume mapNpy(Path file) {
        return mapNpy(file, false);
    }

    private static Volume mapNpy(Path file, boolean oneRun) {
        checkReadable(file);
        Npy.Header h = Npy.readHeader(file);
        return map(file, h.dtype(), h.order(), h.shape(), h.strides(), h.dataOffset(), h.dataBytes(), oneRun);
    }

    /** Maps a raw file read-only; its size must be exactly offset + shape × dtype size. */
    public static Volume mapRaw(Path file, RawLayout layout) {
        return mapRaw(file, layout, false);
    }

    private static Volume mapRaw(Path file, RawLayout layout, boolean oneRun) {
        checkReadable(file);
        if (layout.offset() < 0) {
            throw new BadParameterException("raw offset", layout.offset() + " is negative");
        }
        long need = layout.dataBytes();
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new BadVolumeException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (size != layout.offset() + need) {
            throw new BadVolumeException(file + ": raw size " + size + " bytes does not match shape "
                    + Arrays.toString(layout.shape()) + " × " + layout.dtype().numpyName() + " ("
                    + need + " bytes) + offset " + layout.offset());
        }
        return map(file, layout.dtype(), layout.order(), layout.shape(), Shapes.cStrides(layout.shape()),
                layout.offset(), need, oneRun);
    }

    /**
     * Maps read-only the C-ordered array of {@code shape} that lies at byte {@code offset} inside a
     * larger file (an HDF5 contiguous dataset), which must hold all of it.
     */
    public static Volume mapRegion(Path file, DType dtype, java.nio.ByteOrder order, long[] shape, long offset) {
        checkReadable(file);
        long need = Shapes.elementCount(shape, "shape") * dtype.size();
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new BadVolumeException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (offset < 0 || offset + need > size) {
            throw new BadVolumeException(file + ": " + need + " bytes of data at " + offset + " lie beyond its "
                    + size + " bytes (truncated file)");
        }
        return map(file, dtype, order, shape, Shapes.cStrides(shape), offset, need, false);
    }

    /** What to give to read a file that is not {@code .npy}; the CLI names its options instead. */
    public static final String RAW_HINT = "give its raw layout (shape and dtype) to read it as raw";

    /** Maps {@code .npy} by name, anything else as raw with the given layout (which may then not be null). */
    public static Volume open(Path file, RawLayout rawLayout) {
        return open(file, rawLayout, false);
    }

    /**
     * As {@link #open}, for one run over the volume (a file filtered into another, as the CLI does):
     * while the file is in the page cache, the run's stream reads its rows by positional reads
     * instead of first touches of the fresh mapping ({@link FileReads}), which on virtual machines
     * cost several times more. A volume filtered again and again is better {@link #open}ed: once its
     * mapping has been touched, copies out of it are faster than reads (seed, warm, in process:
     * best of 5 82-127 ms mapped, 107-148 ms by reads).
     */
    public static Volume openForOneRun(Path file, RawLayout rawLayout) {
        return open(file, rawLayout, true);
    }

    private static Volume open(Path file, RawLayout rawLayout, boolean oneRun) {
        if (isNpy(file) || rawLayout == null) {
            if (!isNpy(file)) {
                throw new BadParameterException(file + ": not a .npy file; " + RAW_HINT);
            }
            return mapNpy(file, oneRun);
        }
        return mapRaw(file, rawLayout, oneRun);
    }

    /** The element type of the volume {@link #open} would map (e.g. to filter into the input's dtype). */
    public static DType dtypeOf(Path file, RawLayout rawLayout) {
        try (Volume v = open(file, rawLayout)) {
            return v.dtype();
        }
    }

    static void checkReadable(Path file) {
        if (!Files.exists(file)) {
            throw new BadVolumeException(file + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new BadVolumeException(file + ": is a directory, expected a file");
        }
        if (!Files.isReadable(file)) {
            throw new BadVolumeException(file + ": not readable (permission denied)");
        }
    }

    /**
     * Maps an existing output file read-write as a C-ordered little-endian volume of {@code dtype}
     * and {@code shape} at {@code dataOffset} — for workers that fill regions of an output another
     * process created at full size ({@link OutputFile}), e.g. Spark executors. The file's length must
     * match exactly.
     */
    public static Volume mapForWriting(Path file, DType dtype, long[] shape, long dataOffset) {
        long bytes = Math.multiplyExact(Shapes.elementCount(shape, "shape"), (long) dtype.size());
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() != dataOffset + bytes) {
                throw new BadVolumeException(file + ": output file has " + ch.size() + " bytes, expected "
                        + (dataOffset + bytes));
            }
            MemorySegment seg = bytes == 0 ? arena.allocate(1)
                    : ch.map(FileChannel.MapMode.READ_WRITE, dataOffset, bytes, arena);
            return Volume.owned(seg, dtype, ByteOrder.LITTLE_ENDIAN, shape, Shapes.cStrides(shape), arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new BadVolumeException(file + ": no such file (is the output on a filesystem every worker sees?)", e);
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof BadVolumeException b) {
                throw b;
            }
            throw new BadVolumeException(file + ": cannot map for writing (" + e.getMessage() + ")", e);
        }
    }

    private static Volume map(Path file, DType dtype, ByteOrder order, long[] shape, long[] strides,
                              long dataOffset, long bytes, boolean oneRun) {
        Arena arena = Arena.ofShared();
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            MemorySegment seg = bytes == 0 ? arena.allocate(1)
                    : ch.map(FileChannel.MapMode.READ_ONLY, dataOffset, bytes, arena);
            // inputs are read in long runs: ask for aggressive read-ahead
            Madvise.advise(seg, 0, bytes, Madvise.Advice.SEQUENTIAL);
            Volume v = Volume.owned(seg, dtype, order, shape, strides, arena);
            if (oneRun && bytes > 0 && !Madvise.crowds(bytes, Madvise.physicalMemory())
                    && !"false".equals(System.getProperty("penumbra.fileReads"))
                    && Madvise.residentFraction(seg) >= FileReads.MIN_RESIDENT) {
                // in the page cache: rows come in by positional reads, not by first touches of the
                // fresh mapping (FileReads); the volume closes the channel. Not for inputs that crowd
                // the memory a run may use, which the stream lets go behind it through the mapping
                // (pages read by pread are not mapped, and madvise could not let them go)
                v.readWith(new FileReads(ch, dataOffset, bytes));
                ch = null;
            }
            return v;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new BadVolumeException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            arena.close();
            throw new BadVolumeException(file + ": not readable (permission denied)", e);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new BadVolumeException(file + ": cannot map (" + e.getMessage() + ")", e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // read-only: nothing to lose
                }
            }
        }
    }
}
