package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code penumbra preview}: the slice's pixels, auto-contrast, before/after, and clear errors. */
class PreviewCommandTest {
    @TempDir
    Path dir;

    /** (3, 20, 40) float32: value = x (a ramp along the last axis) + 100 * z, one hot pixel. */
    private Path ramp() throws Exception {
        Path p = dir.resolve("ramp.npy");
        ByteBuffer b = ByteBuffer.allocate(3 * 20 * 40 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int z = 0; z < 3; z++) {
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 40; x++) {
                    b.putFloat(z == 1 && y == 5 && x == 5 ? 1e9f : x + 100f * z);
                }
            }
        }
        Files.write(p, Npy.header(DType.F32, new long[] {3, 20, 40}));
        Files.write(p, b.array(), StandardOpenOption.APPEND);
        return p;
    }

    private static int grey(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFF;
    }

    @Test
    void aSliceIsARobustlyStretchedGreyscaleImage() throws Exception {
        Path png = dir.resolve("s.png");
        CliTest.Result r = CliTest.run("preview", ramp().toString(), "--slice", "0=1", png.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(40, img.getWidth());
        assertEquals(20, img.getHeight());
        // the hot pixel does not wash out the ramp: it runs from black to white along x
        assertEquals(0, grey(img, 0, 10));
        assertEquals(255, grey(img, 39, 10));
        for (int x = 1; x < 40; x++) {
            assertTrue(grey(img, x, 10) >= grey(img, x - 1, 10), "monotone at x=" + x);
        }
        assertEquals(255, grey(img, 5, 5));
    }

    @Test
    void aZarrSliceGivesTheNpyImage() throws Exception {
        Path npy = ramp();
        Path zarr = dir.resolve("ramp.zarr");
        // the same volume as a chunked v2 array, written by the CLI (a size-1 uniform filter is a copy)
        CliTest.Result w = CliTest.run("uniform", "--size", "1", "--zarr-format", "2", "--out-chunks", "2,7,16",
                npy.toString(), zarr.toString());
        assertEquals(0, w.code(), w.err());
        for (String[] extra : new String[][] {{}, {"--after", "gaussian", "--sigma", "1"}}) {
            Path a = dir.resolve("a.png");
            Path b = dir.resolve("b.png");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("preview", "--slice", "0=1"));
            args.addAll(java.util.List.of(extra));
            java.util.List<String> pa = new java.util.ArrayList<>(args);
            pa.addAll(java.util.List.of(npy.toString(), a.toString()));
            java.util.List<String> pb = new java.util.ArrayList<>(args);
            pb.addAll(java.util.List.of(zarr.toString(), b.toString()));
            assertEquals(0, CliTest.run(pa.toArray(String[]::new)).code());
            CliTest.Result r = CliTest.run(pb.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            BufferedImage ia = ImageIO.read(a.toFile());
            BufferedImage ib = ImageIO.read(b.toFile());
            assertEquals(ia.getWidth(), ib.getWidth());
            for (int y = 0; y < ia.getHeight(); y++) {
                for (int x = 0; x < ia.getWidth(); x++) {
                    assertEquals(ia.getRGB(x, y), ib.getRGB(x, y), "pixel " + x + "," + y + " " + String.join(" ", extra));
                }
            }
        }
    }

    @Test
    void afterPutsTheFilteredSliceBesideIt() throws Exception {
        Path png = dir.resolve("ab.png");
        CliTest.Result r = CliTest.run("preview", ramp().toString(), "--slice", "1=10", "--after", "uniform",
                "--size", "3", png.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(40 + 16 + 40, img.getWidth());   // (z, x) slices of 3 x 40, side by side
        assertEquals(28 + 3, img.getHeight());
    }

    @Test
    void badSlicesAndOptionsAreOneLineErrors() throws Exception {
        Path in = ramp();
        Path png = dir.resolve("x.png");
        CliTest.Result r = CliTest.run("preview", in.toString(), "--slice", "0=9", png.toString());
        assertEquals(2, r.code());
        assertEquals("penumbra: slice: index 9 is outside axis 0 of length 3", r.err().strip());
        r = CliTest.run("preview", in.toString(), "--slice", "z", png.toString());
        assertEquals("penumbra: slice: 'z' (expected AXIS=INDEX, e.g. 0=25)", r.err().strip());
        r = CliTest.run("preview", in.toString(), "--sigma", "2", png.toString());
        assertEquals("penumbra: --sigma: a filter option needs --after OP", r.err().strip());
        assertFalse(Files.exists(png));
    }
}
