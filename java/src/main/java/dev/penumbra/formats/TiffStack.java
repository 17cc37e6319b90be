package dev.penumbra.formats;

import dev.penumbra.BadVolumeException;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Shapes;
import dev.penumbra.volume.Volume;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * A TIFF stack as a 3-D array (z, y, x): the pages of one multi-page TIFF or BigTIFF, or the
 * single-page TIFF files of a folder in name order, one z-slice each — one sample per pixel,
 * uint8, uint16, int16 or float32 (and int32, float64), all slices of one size and type, a page a
 * chunk, each decoded once ({@link ChunkedSource}). Pages in plain strips (uncompressed or deflate,
 * no predictor) are read directly and in parallel ({@link TiffStrips}); others through ImageIO with
 * TwelveMonkeys' TIFF plugin (LZW, PackBits, tiles, predictors), one page at a time.
 */
public final class TiffStack implements ChunkStore {
    private final Path path;
    private final List<Path> files; // null: the pages of one file
    private final long[] shape;
    private final DType dtype;
    private ImageReader shared; // the multi-page file's reader (one caller at a time)
    private ImageInputStream sharedIn;
    /** The multi-page file's pages where all are plain strips (read without ImageIO), else null. */
    private final TiffStrips strips;

    private TiffStack(Path path, List<Path> files, long[] shape, DType dtype) {
        this.path = path;
        this.files = files;
        this.shape = shape;
        this.dtype = dtype;
        TiffStrips t = files == null ? TiffStrips.open(path, dtype, shape[1], shape[2]) : null;
        if (t != null && t.pages() != shape[0]) {
            t.close();
            t = null;
        }
        this.strips = t;
    }

    /** True for a file that starts like a TIFF or BigTIFF, or a folder holding {@code .tif}/{@code .tiff} files. */
    public static boolean isTiff(Path p) {
        if (Files.isDirectory(p)) {
            return !slices(p).isEmpty();
        }
        if (!Files.isRegularFile(p)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] h = in.readNBytes(4);
            return h.length == 4 && ((h[0] == 'I' && h[1] == 'I' && (h[2] == 42 || h[2] == 43) && h[3] == 0)
                    || (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && (h[3] == 42 || h[3] == 43)));
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> slices(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                return Files.isRegularFile(f) && !n.startsWith(".") && (n.endsWith(".tif") || n.endsWith(".tiff"));
            }).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Opens the stack, checking that every slice has the first one's size and type. */
    public static TiffStack open(Path p) {
        if (Files.isDirectory(p)) {
            List<Path> files = slices(p);
            long[] first = null;
            DType dt = null;
            for (Path f : files) {
                try (Page pg = Page.open(f)) {
                    long[] hw = pg.size(0, f);
                    DType t = pg.dtype(0, f);
                    if (pg.count(f) != 1) {
                        throw new BadVolumeException(f + ": a TIFF of " + pg.count(f) + " pages in a folder of"
                                + " single-page slices");
                    }
                    if (first == null) {
                        first = hw;
                        dt = t;
                    } else if (!Arrays.equals(first, hw) || dt != t) {
                        throw new BadVolumeException(p + ": mixed slice sizes: " + files.get(0).getFileName() + " is "
                                + first[0] + "x" + first[1] + " " + dt.numpyName() + ", " + f.getFileName() + " is "
                                + hw[0] + "x" + hw[1] + " " + t.numpyName());
                    }
                }
            }
            return new TiffStack(p, files, new long[] {files.size(), first[0], first[1]}, dt);
        }
        try (Page pg = Page.open(p)) {
            int n = pg.count(p);
            long[] hw = pg.size(0, p);
            DType dt = pg.dtype(0, p);
            for (int i = 1; i < n; i++) {
                long[] o = pg.size(i, p);
                DType t = pg.dtype(i, p);
                if (!Arrays.equals(hw, o) || t != dt) {
                    throw new BadVolumeException(p + ": mixed page sizes: page 0 is " + hw[0] + "x" + hw[1] + " "
                            + dt.numpyName() + ", page " + i + " is " + o[0] + "x" + o[1] + " " + t.numpyName());
                }
            }
            return new TiffStack(p, null, new long[] {n, hw[0], hw[1]}, dt);
        }
    }

    /** One TIFF file open for reading (TwelveMonkeys' reader, preferred to the JDK's own). */
    private static final class Page implements AutoCloseable {
        final ImageReader reader;
        final ImageInputStream in;

        private Page(ImageReader reader, ImageInputStream in) {
            this.reader = reader;
            this.in = in;
        }

        static Page open(Path f) {
            ImageInputStream in = null;
            try {
                in = ImageIO.createImageInputStream(f.toFile());
                ImageReader chosen = null;
                for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("tiff"); it.hasNext(); ) {
                    ImageReader r = it.next();
                    if (chosen == null || r.getClass().getName().startsWith("com.twelvemonkeys")) {
                        chosen = r;
                    }
                }
                if (chosen == null || in == null) {
                    throw new BadVolumeException(f + ": no TIFF reader available");
                }
                chosen.setInput(in, false, true);
                return new Page(chosen, in);
            } catch (IOException | RuntimeException e) {
                closeQuietly(in);
                if (e instanceof BadVolumeException b) {
                    throw b;
                }
                throw new BadVolumeException(f + ": not a readable TIFF (" + e.getMessage() + ")");
            }
        }

        int count(Path f) {
            try {
                return reader.getNumImages(true);
            } catch (IOException | RuntimeException e) {
                throw new BadVolumeException(f + ": its pages cannot be counted (" + e.getMessage() + ")");
            }
        }

        long[] size(int i, Path f) {
            try {
                return new long[] {reader.getHeight(i), reader.getWidth(i)};
            } catch (IOException | RuntimeException e) {
                throw new BadVolumeException(f + ": page " + i + " cannot be read (" + e.getMessage() + ")");
            }
        }

        DType dtype(int i, Path f) {
            ImageTypeSpecifier t;
            try {
                t = reader.getRawImageType(i);
            } catch (IOException | RuntimeException e) {
                throw new BadVolumeException(f + ": page " + i + " cannot be read (" + e.getMessage() + ")");
            }
            if (t == null || t.getNumBands() != 1) {
                throw new BadVolumeException(f + ": page " + i + " has " + (t == null ? "an unknown number of"
                        : t.getNumBands()) + " samples per pixel; Penumbra reads one (grayscale stacks)");
            }
            return switch (t.getSampleModel().getDataType()) {
                case DataBuffer.TYPE_BYTE -> DType.U8;
                case DataBuffer.TYPE_USHORT -> DType.U16;
                case DataBuffer.TYPE_SHORT -> DType.I16;
                case DataBuffer.TYPE_INT -> DType.I32;
                case DataBuffer.TYPE_FLOAT -> DType.F32;
                case DataBuffer.TYPE_DOUBLE -> DType.F64;
                default -> throw new BadVolumeException(f + ": page " + i + " has samples of a type Penumbra does not"
                        + " read");
            };
        }

        Raster read(int i, Path f) {
            try {
                // the raw samples: read() may convert to a displayable image (clamping negative floats)
                return reader.canReadRaster() ? reader.readRaster(i, null) : reader.read(i).getRaster();
            } catch (IOException | RuntimeException e) {
                throw new BadVolumeException(f + ": page " + i + " cannot be read (" + e.getMessage()
                        + "; truncated or damaged file?)");
            }
        }

        @Override
        public void close() {
            reader.dispose();
            closeQuietly(in);
        }
    }

    private static void closeQuietly(ImageInputStream in) {
        try {
            if (in != null) {
                in.close();
            }
        } catch (IOException e) {
            // nothing to do
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
        return new long[] {1, shape[1], shape[2]};
    }

    @Override
    public Volume readUnit(long[] u, MemorySegment dst, MemorySegment stage) {
        int z = Math.toIntExact(u[0]);
        long[] c = chunks();
        long rowBytes = shape[2] * dtype.size();
        if (strips != null) {
            strips.read(z, shape[1], rowBytes, dst, stage);
            return Volume.wrap(dst.asSlice(0, unitBytes()), dtype, strips.order(), c, Shapes.cStrides(c), 0);
        }
        if (files != null) {
            try (TiffStrips one = TiffStrips.open(files.get(z), dtype, shape[1], shape[2])) {
                if (one != null && one.pages() == 1) {
                    one.read(0, shape[1], rowBytes, dst, stage);
                    return Volume.wrap(dst.asSlice(0, unitBytes()), dtype, one.order(), c, Shapes.cStrides(c), 0);
                }
            }
        }
        Raster r;
        Path f;
        if (files != null) {
            f = files.get(z);
            try (Page pg = Page.open(f)) {
                r = pg.read(0, f);
            }
        } else {
            f = path;
            synchronized (this) {
                if (shared == null) {
                    Page pg = Page.open(path);
                    shared = pg.reader;
                    sharedIn = pg.in;
                }
                r = new Page(shared, sharedIn).read(z, f);
            }
        }
        int h = (int) shape[1];
        int w = (int) shape[2];
        if (r.getWidth() != w || r.getHeight() != h || r.getNumBands() != 1) {
            throw new BadVolumeException(f + ": slice " + z + " is " + r.getHeight() + "x" + r.getWidth() + ", not "
                    + h + "x" + w);
        }
        int n = w * h;
        ValueLayout.OfShort s16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> MemorySegment.copy(r.getSamples(0, 0, w, h, 0, new float[n]), 0, dst,
                    ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, n);
            case F64 -> MemorySegment.copy(r.getSamples(0, 0, w, h, 0, new double[n]), 0, dst,
                    ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, n);
            default -> {
                int[] v = r.getSamples(0, 0, w, h, 0, new int[n]);
                for (int i = 0; i < n; i++) {
                    switch (dtype) {
                        case U8 -> dst.set(ValueLayout.JAVA_BYTE, i, (byte) v[i]);
                        case U16, I16 -> dst.set(s16, 2L * i, (short) v[i]);
                        default -> dst.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, v[i]);
                    }
                }
            }
        }
        return Volume.wrap(dst.asSlice(0, unitBytes()), dtype, ByteOrder.LITTLE_ENDIAN, c, Shapes.cStrides(c), 0);
    }

    @Override
    public Volume fillUnit(Arena arena) {
        long[] c = chunks();
        return ChunkStore.filled(arena, dtype, ByteOrder.LITTLE_ENDIAN, c, Shapes.cStrides(c), 0);
    }

    @Override
    public String describe() {
        return path + " (TIFF stack, " + (files != null ? files.size() + " files" : shape[0] + " pages") + ", "
                + dtype.numpyName() + " " + Arrays.toString(shape) + ")";
    }

    @Override
    public synchronized void close() {
        if (strips != null) {
            strips.close();
        }
        if (shared != null) {
            shared.dispose();
            closeQuietly(sharedIn);
            shared = null;
        }
    }
}
