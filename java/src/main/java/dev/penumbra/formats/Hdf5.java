package dev.penumbra.formats;

import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.api.dataset.ContiguousDataset;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * HDF5 datasets in, through jHDF (pure Java): a contiguous dataset is mapped where it lies in the
 * file, as a raw volume (zero-copy, like {@code .npy}); a chunked one (deflate, shuffle, lzf, lz4,
 * ... as jHDF decodes them) is read chunk by chunk through {@link ChunkedSource}, each chunk
 * decoded once. Element types: the integers and floats Penumbra reads, either byte order.
 */
public final class Hdf5 {
    private Hdf5() {
    }

    private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    /** True when {@code p} is a file that starts with the HDF5 signature (at 0, or after a user block). */
    public static boolean isHdf5(Path p) {
        if (!Files.isRegularFile(p)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(8);
            return Arrays.equals(head, SIGNATURE);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The dataset at {@code dataset} (e.g. {@code /entry/data}; null: the file's only dataset) as a
     * source, mapped or chunked. Errors name the file and the dataset in one line.
     */
    public static Inputs.Input open(Path file, String dataset) {
        HdfFile f;
        try {
            f = new HdfFile(file);
        } catch (RuntimeException e) {
            throw new BadVolumeException(file + ": not a readable HDF5 file (" + firstLine(e) + ")");
        }
        boolean keepOpen = false;
        try {
            Dataset ds = find(f, file, dataset);
            String where = file + ":" + ds.getPath();
            if (ds.isScalar() || ds.isEmpty() || ds.isCompound() || ds.isVariableLength()) {
                throw new BadVolumeException(where + ": a " + (ds.isCompound() ? "compound" : ds.isScalar() ? "scalar"
                        : ds.isEmpty() ? "empty" : "variable-length") + " dataset, not an array of numbers");
            }
            DataType t = ds.getDataType();
            DType dt = dtype(t, where);
            ByteOrder order = t instanceof FixedPoint fp ? fp.getByteOrder() : ((FloatingPoint) t).getByteOrder();
            long[] shape = ds.getDimensionsAsLong();
            if (ds instanceof ContiguousDataset c) {
                long addr = c.getDataAddress();
                long bytes = Shapes.elementCount(shape, "shape") * dt.size();
                if (addr < 0 || addr + bytes > Files.size(file)) {
                    throw new BadVolumeException(where + ": its data (" + bytes + " bytes at " + addr + ") lies beyond"
                            + " the file's " + Files.size(file) + " bytes (truncated file)");
                }
                Volume v = VolumeFiles.mapRegion(file, dt, order, shape, addr);
                return new Inputs.Input(v, v, null);
            }
            if (ds instanceof ChunkedDataset c) {
                Chunks store = new Chunks(f, c, where, dt, order, shape);
                keepOpen = true;
                ChunkedSource s = ChunkedSource.of(store);
                return new Inputs.Input(s, s, store);
            }
            // compact (tiny, inside the header): read whole
            Object flat = ds.getDataFlat();
            Volume v = Volume.allocate(dt, shape);
            copyFlat(flat, dt, v.segment());
            return new Inputs.Input(v, v, null);
        } catch (IOException e) {
            throw new BadVolumeException(file + ": cannot read it (" + e.getMessage() + ")");
        } catch (BadVolumeException | BadParameterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadVolumeException(file + (dataset != null ? ":" + dataset : "") + ": HDF5 data cannot be read ("
                    + firstLine(e) + ")");
        } finally {
            if (!keepOpen) {
                f.close();
            }
        }
    }

    private static String firstLine(RuntimeException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    private static Dataset find(HdfFile f, Path file, String dataset) {
        if (dataset == null || dataset.isBlank()) {
            List<String> all = new ArrayList<>();
            datasets(f, all);
            if (all.size() == 1) {
                return f.getDatasetByPath(all.get(0));
            }
            throw new BadParameterException("dataset: " + file + " holds " + (all.isEmpty() ? "no datasets"
                    : all.size() + " datasets (" + String.join(", ", all.subList(0, Math.min(10, all.size())))
                    + ")") + "; name one with --dataset");
        }
        Node n;
        try {
            n = f.getByPath(dataset.startsWith("/") ? dataset.substring(1) : dataset);
        } catch (RuntimeException e) {
            n = null;
        }
        if (!(n instanceof Dataset d)) {
            List<String> all = new ArrayList<>();
            datasets(f, all);
            throw new BadVolumeException(file + ": no dataset '" + dataset + "'" + (all.isEmpty() ? ""
                    : " (datasets: " + String.join(", ", all.subList(0, Math.min(10, all.size()))) + ")"));
        }
        return d;
    }

    private static void datasets(Group g, List<String> out) {
        for (Node n : g.getChildren().values()) {
            if (n instanceof Dataset d) {
                out.add(d.getPath());
            } else if (n instanceof Group sub && out.size() < 100) {
                datasets(sub, out);
            }
        }
    }

    private static DType dtype(DataType t, String where) {
        if (t instanceof FixedPoint fp) {
            DType d = switch (fp.getSize()) {
                case 1 -> fp.isSigned() ? DType.I8 : DType.U8;
                case 2 -> fp.isSigned() ? DType.I16 : DType.U16;
                case 4 -> fp.isSigned() ? DType.I32 : DType.U32;
                case 8 -> fp.isSigned() ? DType.I64 : null;
                default -> null;
            };
            if (d != null && fp.getBitOffset() == 0 && fp.getBitPrecision() == 8 * fp.getSize()) {
                return d;
            }
        } else if (t instanceof FloatingPoint fl && (fl.getSize() == 4 || fl.getSize() == 8)) {
            return fl.getSize() == 4 ? DType.F32 : DType.F64;
        }
        throw new BadVolumeException(where + ": element type " + t.getClass().getSimpleName() + " of " + t.getSize()
                + " bytes is not one Penumbra reads (integers of 8-64 bits but uint64, float32, float64)");
    }

    private static void copyFlat(Object flat, DType dt, MemorySegment dst) {
        switch (flat) {
            case byte[] b -> MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, b.length);
            case short[] s -> MemorySegment.copy(s, 0, dst, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, s.length);
            case int[] i -> MemorySegment.copy(i, 0, dst, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, i.length);
            case long[] l -> MemorySegment.copy(l, 0, dst, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, l.length);
            case float[] f -> MemorySegment.copy(f, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, f.length);
            case double[] d -> MemorySegment.copy(d, 0, dst, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, d.length);
            default -> throw new BadVolumeException("HDF5 data of Java type " + flat.getClass().getSimpleName()
                    + " is not one Penumbra reads as " + dt.numpyName());
        }
    }

    /** A chunked dataset's chunks, decoded by jHDF (one reader at a time: jHDF's file access is shared). */
    static final class Chunks implements ChunkStore {
        private final HdfFile file;
        private final ChunkedDataset ds;
        private final String where;
        private final DType dtype;
        private final ByteOrder order;
        private final long[] shape;
        private final long[] chunk;
        private final double fill;

        Chunks(HdfFile file, ChunkedDataset ds, String where, DType dtype, ByteOrder order, long[] shape) {
            this.file = file;
            this.ds = ds;
            this.where = where;
            this.dtype = dtype;
            this.order = order;
            this.shape = shape;
            this.chunk = Arrays.stream(ds.getChunkDimensions()).asLongStream().toArray();
            Object fv = ds.getFillValue();
            this.fill = fv instanceof Number n ? n.doubleValue() : 0;
            if (chunk.length != shape.length) {
                throw new BadVolumeException(where + ": chunks of " + chunk.length + " axes for " + shape.length);
            }
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public long[] chunks() {
            return chunk.clone();
        }

        @Override
        public Volume readUnit(long[] u, MemorySegment dst, MemorySegment stage) {
            int[] off = new int[u.length];
            for (int a = 0; a < u.length; a++) {
                off[a] = Math.toIntExact(u[a] * chunk[a]);
            }
            byte[] b;
            try {
                synchronized (file) {
                    b = ds.getDecompressedChunk(off);
                }
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("No chunk") || m.contains("not allocated") || e instanceof NullPointerException) {
                    return null; // never written: the fill value
                }
                throw new BadVolumeException(where + ": chunk at " + Arrays.toString(off) + " cannot be read ("
                        + firstLine(e) + ")");
            }
            if (b == null) {
                return null;
            }
            if (b.length != unitBytes()) {
                throw new BadVolumeException(where + ": chunk at " + Arrays.toString(off) + " holds " + b.length
                        + " bytes, a chunk of " + Arrays.toString(chunk) + " " + dtype.numpyName() + " is " + unitBytes());
            }
            MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, b.length);
            return Volume.wrap(dst.asSlice(0, unitBytes()), dtype, order, chunk, Shapes.cStrides(chunk), 0);
        }

        @Override
        public Volume fillUnit(Arena arena) {
            return ChunkStore.filled(arena, dtype, order, chunk, Shapes.cStrides(chunk), fill);
        }

        @Override
        public String describe() {
            return where + " (HDF5 " + dtype.numpyName() + " " + Arrays.toString(shape) + " chunks "
                    + Arrays.toString(chunk) + ")";
        }

        @Override
        public void close() {
            file.close();
        }
    }
}
