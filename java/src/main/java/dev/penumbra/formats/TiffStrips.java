package dev.penumbra.formats;

import dev.penumbra.BadVolumeException;
import dev.penumbra.volume.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The pages of a TIFF or BigTIFF file whose samples lie plainly in strips: one sample per pixel,
 * uncompressed or deflated (no predictor), read here with positional reads straight into a page's
 * buffer (deflate: inflated by the reading thread), by any number of threads at once. ImageIO
 * decoded a page at a time into a {@code Raster} and a Java array, one caller at a time: a seed-shape
 * float32 stack (50 pages of 1104x1104) took 6.5 s to filter, 98 % of the threads' time decoding.
 * A page laid out otherwise (tiles, a predictor, LZW, several samples, planes) is {@code null} here
 * and goes through ImageIO as before ({@link TiffStack}).
 */
final class TiffStrips implements AutoCloseable {
    /** One page's strips: where each lies and how long it is stored, rows per strip, and compression. */
    record Layout(long[] offsets, long[] counts, int rowsPerStrip, boolean deflate) {
    }

    private final FileChannel channel;
    private final ByteOrder order;
    private final List<Layout> pages;
    private final Path file;

    private TiffStrips(Path file, FileChannel channel, ByteOrder order, List<Layout> pages) {
        this.file = file;
        this.channel = channel;
        this.order = order;
        this.pages = pages;
    }

    /** The byte order of the file's samples. */
    ByteOrder order() {
        return order;
    }

    /** The file's pages, or null when one of them is not plain strips of {@code dtype}, {@code h} x {@code w}. */
    static TiffStrips open(Path file, DType dtype, long h, long w) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            ByteBuffer head = read(ch, 0, 16, ByteOrder.LITTLE_ENDIAN);
            ByteOrder order = head.get(0) == 'M' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            head.order(order);
            boolean big = head.getShort(2) == 43;
            long ifd = big ? head.getLong(8) : Integer.toUnsignedLong(head.getInt(4));
            List<Layout> pages = new ArrayList<>();
            long size = ch.size();
            while (ifd != 0) {
                if (ifd < 8 || ifd >= size || pages.size() > 1_000_000) {
                    return close(ch);
                }
                long[] next = new long[1];
                Layout l = page(ch, ifd, big, order, dtype, h, w, next);
                if (l == null) {
                    return close(ch);
                }
                pages.add(l);
                ifd = next[0];
            }
            return new TiffStrips(file, ch, order, pages);
        } catch (IOException | RuntimeException e) {
            return close(ch);
        }
    }

    private static TiffStrips close(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
        return null;
    }

    /** Tags this reader looks at. */
    private static final int WIDTH = 256, HEIGHT = 257, BITS = 258, COMPRESSION = 259, OFFSETS = 273,
            SAMPLES = 277, ROWS = 278, COUNTS = 279, PLANAR = 284, PREDICTOR = 317, TILE_WIDTH = 322,
            SAMPLE_FORMAT = 339;

    /** The IFD at {@code at} as plain strips, its successor's offset in {@code next[0]}; null when not plain. */
    private static Layout page(FileChannel ch, long at, boolean big, ByteOrder order, DType dtype, long h, long w,
                               long[] next) throws IOException {
        ByteBuffer n = read(ch, at, big ? 8 : 2, order);
        long entries = big ? n.getLong(0) : Short.toUnsignedInt(n.getShort(0));
        int entry = big ? 20 : 12;
        if (entries <= 0 || entries > 4096) {
            return null;
        }
        long start = at + (big ? 8 : 2);
        ByteBuffer e = read(ch, start, (int) entries * entry + (big ? 8 : 4), order);
        next[0] = big ? e.getLong((int) entries * entry) : Integer.toUnsignedLong(e.getInt((int) entries * entry));
        long width = -1, height = -1, bits = -1, compression = 1, samples = 1, rows = -1, planar = 1,
                predictor = 1, format = 1;
        long[] offsets = null;
        long[] counts = null;
        for (int i = 0; i < entries; i++) {
            int p = i * entry;
            int tag = Short.toUnsignedInt(e.getShort(p));
            int type = Short.toUnsignedInt(e.getShort(p + 2));
            long count = big ? e.getLong(p + 4) : Integer.toUnsignedLong(e.getInt(p + 4));
            int valueAt = p + (big ? 12 : 8);
            switch (tag) {
                case WIDTH -> width = scalar(e, valueAt, type);
                case HEIGHT -> height = scalar(e, valueAt, type);
                case BITS -> bits = count == 1 ? scalar(e, valueAt, type) : -1;
                case COMPRESSION -> compression = scalar(e, valueAt, type);
                case SAMPLES -> samples = scalar(e, valueAt, type);
                case ROWS -> rows = scalar(e, valueAt, type);
                case PLANAR -> planar = scalar(e, valueAt, type);
                case PREDICTOR -> predictor = scalar(e, valueAt, type);
                case SAMPLE_FORMAT -> format = count == 1 ? scalar(e, valueAt, type) : -1;
                case TILE_WIDTH -> {
                    return null; // tiles: ImageIO
                }
                case OFFSETS -> offsets = array(ch, e, valueAt, type, count, big, order);
                case COUNTS -> counts = array(ch, e, valueAt, type, count, big, order);
                default -> {
                }
            }
        }
        if (width != w || height != h || samples != 1 || planar != 1 || predictor != 1 || offsets == null
                || counts == null || offsets.length != counts.length || bits != 8L * dtype.size()
                || format != switch (dtype) {
                    case F32, F64 -> 3;
                    case I8, I16, I32, I64 -> 2;
                    default -> 1;
                }
                || !(compression == 1 || compression == 8 || compression == 32946)) {
            return null;
        }
        long perStrip = rows <= 0 || rows > h ? h : rows;
        if (offsets.length != Math.ceilDiv(h, perStrip)) {
            return null;
        }
        return new Layout(offsets, counts, (int) perStrip, compression != 1);
    }

    /** A SHORT or LONG (or BigTIFF LONG8) value held in the entry itself. */
    private static long scalar(ByteBuffer e, int at, int type) {
        return switch (type) {
            case 3 -> Short.toUnsignedInt(e.getShort(at));
            case 4 -> Integer.toUnsignedLong(e.getInt(at));
            case 16 -> e.getLong(at);
            default -> -1;
        };
    }

    /** The {@code count} SHORT/LONG/LONG8 values of an entry: in it when they fit, else where it points. */
    private static long[] array(FileChannel ch, ByteBuffer e, int at, int type, long count, boolean big,
                                ByteOrder order) throws IOException {
        int size = switch (type) {
            case 3 -> 2;
            case 4 -> 4;
            case 16 -> 8;
            default -> -1;
        };
        if (size < 0 || count <= 0 || count > 1 << 24) {
            return null;
        }
        long bytes = count * size;
        ByteBuffer v;
        if (bytes <= (big ? 8 : 4)) {
            v = e.duplicate().order(order).position(at).slice().order(order);
        } else {
            long where = big ? e.getLong(at) : Integer.toUnsignedLong(e.getInt(at));
            v = read(ch, where, (int) bytes, order);
        }
        long[] out = new long[(int) count];
        for (int i = 0; i < count; i++) {
            out[i] = size == 2 ? Short.toUnsignedInt(v.getShort(i * 2))
                    : size == 4 ? Integer.toUnsignedLong(v.getInt(i * 4)) : v.getLong(i * 8);
        }
        return out;
    }

    private static ByteBuffer read(FileChannel ch, long at, int len, ByteOrder order) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(order);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new IOException("end of file");
            }
        }
        return b.flip().order(order);
    }

    int pages() {
        return pages.size();
    }

    private final ThreadLocal<Inflater> inflaters = ThreadLocal.withInitial(Inflater::new);

    /**
     * Reads page {@code z} ({@code h} rows of {@code rowBytes}) into {@code dst}, deflated strips
     * through {@code stage} (as large as a page); errors name the file and the page.
     */
    void read(int z, long h, long rowBytes, MemorySegment dst, MemorySegment stage) {
        Layout l = pages.get(z);
        for (int s = 0; s < l.offsets().length; s++) {
            long row0 = (long) s * l.rowsPerStrip();
            long want = Math.min(l.rowsPerStrip(), h - row0) * rowBytes;
            MemorySegment into = dst.asSlice(row0 * rowBytes, want);
            long stored = l.counts()[s];
            if (!l.deflate()) {
                if (stored < want) {
                    throw damaged(z, "strip " + s + " holds " + stored + " bytes, not " + want);
                }
                readFully(into, l.offsets()[s], z);
                continue;
            }
            if (stored > stage.byteSize()) {
                throw damaged(z, "strip " + s + " is stored in " + stored + " bytes, more than its page");
            }
            MemorySegment packed = stage.asSlice(0, stored);
            readFully(packed, l.offsets()[s], z);
            inflate(packed, into, z, s);
        }
    }

    private void readFully(MemorySegment into, long at, int z) {
        ByteBuffer bb = into.asByteBuffer();
        try {
            while (bb.hasRemaining()) {
                if (channel.read(bb, at + bb.position()) < 0) {
                    throw damaged(z, "its data lies beyond the end of the file (truncated file)");
                }
            }
        } catch (IOException e) {
            throw damaged(z, "cannot be read (" + e.getMessage() + ")");
        }
    }

    private void inflate(MemorySegment packed, MemorySegment into, int z, int s) {
        Inflater inf = inflaters.get();
        inf.reset();
        inf.setInput(packed.asByteBuffer());
        ByteBuffer out = into.asByteBuffer();
        try {
            while (out.hasRemaining() && !inf.finished()) {
                if (inf.inflate(out) == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
            }
        } catch (DataFormatException e) {
            throw damaged(z, "strip " + s + " is not valid deflate data (" + e.getMessage() + ")");
        }
        if (out.hasRemaining()) {
            throw damaged(z, "strip " + s + " inflates to " + out.position() + " bytes, not " + out.capacity());
        }
    }

    private BadVolumeException damaged(int z, String what) {
        return new BadVolumeException(file + ": page " + z + ": " + what);
    }

    @Override
    public void close() {
        close(channel);
    }

    @Override
    public String toString() {
        return file + " (" + pages.size() + " pages of strips, " + order + ")";
    }
}
