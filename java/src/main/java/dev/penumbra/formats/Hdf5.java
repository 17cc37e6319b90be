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
import io.jhdf.dataset.chunked.Chunk;
import io.jhdf.dataset.chunked.ChunkedDatasetBase;
import io.jhdf.filter.PipelineFilterWithData;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

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
                Chunks store = new Chunks(f, file, c, where, dt, order, shape);
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

    /**
     * A chunked dataset's chunks. jHDF decodes them one reader at a time (its file access is shared),
     * mapping each chunk's bytes afresh and copying them twice: an uncompressed (80, 10x276x276
     * float32) dataset decoded at 0.27 GB/s, 77 % of a seed command's threads' time. Where jHDF's
     * chunk index can be read ({@link ChunkedDatasetBase}'s lookup, by reflection), chunks stored
     * without filters or with deflate alone are read here instead, by any number of threads at once,
     * with positional reads into the chunk's buffer (inflated there by a thread's own
     * {@link Inflater}); anything else (other filters, a chunk that skipped its filters, an index jHDF
     * does not show) goes through jHDF as before.
     */
    static final class Chunks implements ChunkStore {
        private final HdfFile file;
        private final ChunkedDataset ds;
        private final String where;
        private final DType dtype;
        private final ByteOrder order;
        private final long[] shape;
        private final long[] chunk;
        private final double fill;
        /** Where each stored chunk lies ({address, size} by the chunk's grid index), or null: through jHDF. */
        private final Map<Long, long[]> stored;
        /** The dataset's filters are deflate alone (false: none). */
        private final boolean deflate;
        private final FileChannel channel;
        private final ThreadLocal<Inflater> inflaters = ThreadLocal.withInitial(Inflater::new);

        Chunks(HdfFile file, Path path, ChunkedDataset ds, String where, DType dtype, ByteOrder order, long[] shape) {
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
            Map<Long, long[]> index = null;
            boolean deflated = false;
            FileChannel ch = null;
            try {
                List<Integer> filters = ds instanceof ChunkedDatasetBase b
                        ? b.getFilters().stream().map(PipelineFilterWithData::getId).toList() : null;
                if (filters != null && (filters.isEmpty() || filters.equals(List.of(DEFLATE)))) {
                    deflated = !filters.isEmpty();
                    index = chunkIndex(ds);
                    if (index != null) {
                        ch = FileChannel.open(path, StandardOpenOption.READ);
                    }
                }
            } catch (IOException | RuntimeException e) {
                index = null; // jHDF reads every chunk
            }
            this.stored = ch == null ? null : index;
            this.deflate = deflated;
            this.channel = ch;
        }

        /** HDF5's filter id of deflate (gzip). */
        private static final int DEFLATE = 1;

        /** The chunk index by grid position, from jHDF's lookup; null where it cannot be had. */
        private Map<Long, long[]> chunkIndex(ChunkedDataset ds) {
            try {
                Method m = ChunkedDatasetBase.class.getDeclaredMethod("getChunkLookup");
                m.setAccessible(true);
                Map<?, ?> lookup;
                synchronized (file) {
                    lookup = (Map<?, ?>) m.invoke(ds);
                }
                Map<Long, long[]> index = new HashMap<>();
                for (Object o : lookup.values()) {
                    Chunk c = (Chunk) o;
                    if (!c.getFilterMask().isEmpty()) {
                        return null; // a chunk that skipped a filter: jHDF knows how to read it
                    }
                    index.put(gridIndex(c.getChunkOffset()), new long[] {c.getAddress(), c.getSize()});
                }
                return index;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        /** The C-order index in the chunk grid of the chunk starting at element {@code offset}. */
        private long gridIndex(long[] offset) {
            long g = 0;
            for (int a = 0; a < chunk.length; a++) {
                g = g * Math.ceilDiv(shape[a], chunk[a]) + offset[a] / chunk[a];
            }
            return g;
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
            if (stored != null) {
                long[] at = new long[u.length];
                for (int a = 0; a < u.length; a++) {
                    at[a] = u[a] * chunk[a];
                }
                long[] where = stored.get(gridIndex(at));
                if (where == null) {
                    return null; // never written: the fill value
                }
                if (deflate ? where[1] <= stage.byteSize() : where[1] == unitBytes()) {
                    readAt(where[0], deflate ? stage.asSlice(0, where[1]) : dst.asSlice(0, where[1]), u);
                    if (deflate) {
                        inflate(stage.asSlice(0, where[1]), dst, u);
                    }
                    return Volume.wrap(dst.asSlice(0, unitBytes()), dtype, order, chunk, Shapes.cStrides(chunk), 0);
                }
                // (a compressed chunk bigger than the chunk itself, or a raw one of another size: jHDF)
            }
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

        /** Reads the stored bytes at {@code address} of the file into {@code into}, all of them. */
        private void readAt(long address, MemorySegment into, long[] u) {
            ByteBuffer bb = into.asByteBuffer();
            try {
                while (bb.hasRemaining()) {
                    int n = channel.read(bb, address + bb.position());
                    if (n < 0) {
                        throw new BadVolumeException(this.where + ": chunk " + Arrays.toString(u)
                                + " lies beyond the end of the file (truncated file)");
                    }
                }
            } catch (IOException e) {
                throw new BadVolumeException(this.where + ": chunk " + Arrays.toString(u) + " cannot be read ("
                        + e.getMessage() + ")");
            }
        }

        /** Inflates a deflated chunk ({@code zlib} stream, HDF5's deflate filter) into {@code dst}: exactly a chunk. */
        private void inflate(MemorySegment packed, MemorySegment dst, long[] u) {
            Inflater inf = inflaters.get();
            inf.reset();
            inf.setInput(packed.asByteBuffer());
            ByteBuffer out = dst.asSlice(0, unitBytes()).asByteBuffer();
            try {
                while (out.hasRemaining() && !inf.finished()) {
                    if (inf.inflate(out) == 0 && (inf.needsInput() || inf.needsDictionary())) {
                        break;
                    }
                }
            } catch (DataFormatException e) {
                throw new BadVolumeException(where + ": chunk " + Arrays.toString(u) + " is not valid deflate data ("
                        + e.getMessage() + ")");
            }
            if (out.hasRemaining() || !inf.finished()) {
                throw new BadVolumeException(where + ": chunk " + Arrays.toString(u) + " inflates to "
                        + (out.hasRemaining() ? out.position() + " bytes, not" : "more than") + " the "
                        + unitBytes() + " bytes of a chunk");
            }
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
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // read-only: nothing to lose
                }
            }
        }
    }
}
