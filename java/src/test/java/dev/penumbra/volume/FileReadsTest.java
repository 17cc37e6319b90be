package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.Goldens;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows announced by willReadRows come from one positional read of the file, as the mapping has them. */
class FileReadsTest {
    @TempDir
    Path dir;

    private static final long[] SHAPE = {4, 6, 5};
    private static final int PREFIX = 12;

    /** A raw little-endian float32 file of SHAPE after a 12-byte prefix, element i holding i * scale. */
    private Path rawFloats(float scale) throws Exception {
        Path p = dir.resolve("v.raw");
        ByteBuffer b = ByteBuffer.allocate(PREFIX + 4 * 120).order(ByteOrder.LITTLE_ENDIAN);
        b.position(PREFIX);
        for (int i = 0; i < 120; i++) {
            b.putFloat(i * scale);
        }
        Files.write(p, b.array());
        return p;
    }

    private static Volume forOneRun(Path p) {
        return VolumeFiles.openForOneRun(p, new RawLayout(DType.F32, ByteOrder.LITTLE_ENDIAN, SHAPE, PREFIX));
    }

    private static float[] row(Volume v, long z, long y) {
        float[] r = new float[5];
        v.readFloat(new long[] {z, y, 0}, 5, r, 0);
        return r;
    }

    private static float[] expected(long z, long y, float scale) {
        float[] r = new float[5];
        for (int x = 0; x < 5; x++) {
            r[x] = (z * 30 + y * 5 + x) * scale;
        }
        return r;
    }

    @Test
    void announcedRowsComeFromTheReadNotTheMapping() throws Exception {
        Path p = rawFloats(0.5f);
        try (Volume v = forOneRun(p)) {
            assertNotNull(v.fileReads(), "a file in the page cache reads by pread");
            v.willReadRows(new long[] {2, 1, 0}, 1, 4, 5);
            // the file changes under the mapping (the page cache is shared): the announced rows still
            // hold what the read brought, every other row is read from the mapping
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(4 * 120).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 120; i++) {
                    b.putFloat(i * 2f);
                }
                ch.write(b.flip(), PREFIX);
            }
            for (int y = 1; y < 5; y++) {
                assertArrayEquals(expected(2, y, 0.5f), row(v, 2, y), "held row y=" + y);
            }
            assertArrayEquals(expected(2, 5, 2f), row(v, 2, 5), "a row outside the read");
            assertArrayEquals(expected(1, 1, 2f), row(v, 1, 1), "another plane");
            v.willReadRows(new long[] {2, 0, 0}, 1, 3, 5);
            assertArrayEquals(expected(2, 1, 2f), row(v, 2, 1), "read again after a new announcement");
        }
    }

    @Test
    void viewsShareTheReadsAndRowsThatAreNotWholeAreLeftToTheMapping() throws Exception {
        Path p = rawFloats(1f);
        try (Volume v = forOneRun(p)) {
            Volume whole = v.slice(new long[] {1, 0, 0}, new long[] {3, 6, 5});
            assertNotNull(whole.fileReads());
            whole.willReadRows(new long[] {1, 2, 0}, 1, 3, 5);
            for (int y = 2; y < 5; y++) {
                assertArrayEquals(expected(2, y, 1f), row(whole, 1, y));
            }
            Volume cut = v.slice(new long[] {0, 0, 1}, new long[] {4, 6, 4});
            cut.willReadRows(new long[] {0, 0, 0}, 1, 6, 3); // rows of 3 of 5: not one run of the file
            float[] r = new float[3];
            cut.readFloat(new long[] {3, 4, 0}, 3, r, 0);
            assertArrayEquals(new float[] {3 * 30 + 4 * 5 + 1, 3 * 30 + 4 * 5 + 2, 3 * 30 + 4 * 5 + 3}, r);
        }
    }

    @Test
    void aClosedVolumeServesNothingFromTheBufferAndAnnouncementsOutsideAreIgnored() throws Exception {
        Path p = rawFloats(1f);
        Volume v = forOneRun(p);
        Volume view = v.slice(new long[] {0, 0, 0}, new long[] {4, 6, 5});
        view.willReadRows(new long[] {3, 4, 0}, 1, 3, 5); // rows 4..6 of 6: past the edge, ignored
        view.willReadRows(new long[] {9, 0, 0}, 1, 2, 5); // no plane 9: ignored
        view.willReadRows(new long[] {1, 0, 0}, 1, 6, 5);
        assertArrayEquals(expected(1, 3, 1f), row(view, 1, 3));
        v.close();
        assertThrows(IllegalStateException.class, () -> row(view, 1, 3), "a closed volume's rows are gone");
    }

    /** A C-ordered .npy of {@code type} and {@code shape}, values spread over a few hundred (integral). */
    private Path npy(String name, DType type, long... shape) throws Exception {
        long n = 1;
        for (long e : shape) {
            n *= e;
        }
        byte[] header = Npy.header(type, shape);
        ByteBuffer b = ByteBuffer.allocate(header.length + (int) n * type.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header);
        java.util.Random r = new java.util.Random(n);
        for (long i = 0; i < n; i++) {
            int v = r.nextInt(600);
            switch (type) {
                case U16 -> b.putShort((short) v);
                case F64 -> b.putDouble(v / 7.0 - 40);
                default -> b.putFloat(v / 7f - 40);
            }
        }
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    /** File to file as the CLI runs it: the same bytes with the reads and without them, on every path. */
    @Test
    void fileToFileGivesTheSameBytesWithAndWithoutReads() throws Exception {
        Path[] inputs = {npy("f.npy", DType.F32, 6, 40, 70), npy("u.npy", DType.U16, 6, 40, 70),
            npy("d.npy", DType.F64, 6, 40, 70)};
        dev.penumbra.filter.FilterSpec[] specs = {dev.penumbra.filter.FilterSpec.gaussian(1.5),
            dev.penumbra.filter.FilterSpec.of(dev.penumbra.filter.Op.LAPLACE),
            dev.penumbra.filter.FilterSpec.of(dev.penumbra.filter.Op.SOBEL).withAxis(1)};
        dev.penumbra.engine.Schedule[] schedules = {dev.penumbra.engine.Schedule.defaults().withThreads(1),
            dev.penumbra.engine.Schedule.defaults().withThreads(2)};
        for (Path in : inputs) {
            for (var spec : specs) {
                for (var schedule : schedules) {
                    Path with = dir.resolve("with.npy");
                    Path without = dir.resolve("without.npy");
                    long before = FileReads.READS.get();
                    dev.penumbra.Filters.applyToFile(spec, in, null, with, null, schedule);
                    assertTrue(FileReads.READS.get() > before, "rows by reads: " + in.getFileName() + " " + spec);
                    System.setProperty("penumbra.fileReads", "false");
                    try {
                        dev.penumbra.Filters.applyToFile(spec, in, null, without, null, schedule);
                    } finally {
                        System.clearProperty("penumbra.fileReads");
                    }
                    assertArrayEquals(Files.readAllBytes(without), Files.readAllBytes(with),
                            in.getFileName() + " " + spec + " " + schedule);
                }
            }
        }
    }

    @Test
    void bigEndianIntegersWidenFromTheReadAsFromTheMapping() {
        Path be = Goldens.dir().resolve("bei4_C_5x6x7.npy");
        double[][] viaMapping = new double[30][7];
        System.setProperty("penumbra.fileReads", "false");
        try (Volume mapped = VolumeFiles.mapNpy(be)) {
            assertNull(mapped.fileReads(), "a volume mapped to be filtered again and again reads its mapping");
        }
        try (Volume m = VolumeFiles.openForOneRun(be, null)) {
            assertNull(m.fileReads(), "switched off");
            for (int r = 0; r < 30; r++) {
                m.read(new long[] {r / 6, r % 6, 0}, 7, viaMapping[r], 0);
            }
        } finally {
            System.clearProperty("penumbra.fileReads");
        }
        try (Volume v = VolumeFiles.openForOneRun(be, null)) {
            assertNotNull(v.fileReads());
            for (int z = 0; z < 5; z++) {
                v.willReadRows(new long[] {z, 0, 0}, 1, 6, 7);
                for (int y = 0; y < 6; y++) {
                    double[] d = new double[7];
                    v.read(new long[] {z, y, 0}, 7, d, 0);
                    assertArrayEquals(viaMapping[z * 6 + y], d, "z=" + z + " y=" + y);
                    float[] f = new float[7];
                    v.readFloat(new long[] {z, y, 0}, 7, f, 0);
                    for (int x = 0; x < 7; x++) {
                        assertEquals((float) viaMapping[z * 6 + y][x], f[x], "z=" + z + " y=" + y + " x=" + x);
                    }
                }
            }
        }
    }
}
