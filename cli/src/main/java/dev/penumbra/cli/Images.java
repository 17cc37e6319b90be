package dev.penumbra.cli;

import dev.penumbra.OutputException;
import dev.penumbra.volume.OutputFile;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import javax.imageio.ImageIO;

/** Greyscale renderings of slices and atomic PNG writes. */
final class Images {
    private Images() {
    }

    /**
     * Greyscale with robust auto-contrast: the 0.5 and 99.5 percentiles of the finite values map
     * to black and white (a few hot pixels do not wash the image out); NaN is drawn red.
     */
    static BufferedImage grey(float[] px, int w, int h) {
        float[] finite = new float[px.length];
        int n = 0;
        for (float v : px) {
            if (Float.isFinite(v)) {
                finite[n++] = v;
            }
        }
        Arrays.sort(finite, 0, n);
        float lo = n == 0 ? 0 : finite[(int) Math.floor(0.005 * (n - 1))];
        float hi = n == 0 ? 1 : finite[(int) Math.ceil(0.995 * (n - 1))];
        float scale = hi > lo ? 255f / (hi - lo) : 0f;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = px[y * w + x];
                int rgb;
                if (Float.isNaN(v)) {
                    rgb = 0xFF0000;
                } else {
                    int g = Math.max(0, Math.min(255, Math.round((v - lo) * scale)));
                    rgb = g << 16 | g << 8 | g;
                }
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    /** Two images side by side on white, each with a caption above it. */
    static BufferedImage sideBySide(BufferedImage a, String captionA, BufferedImage b, String captionB) {
        int gap = 16;
        int top = 28;
        BufferedImage out = new BufferedImage(a.getWidth() + gap + b.getWidth(),
                top + Math.max(a.getHeight(), b.getHeight()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(a, 0, top, null);
        g.drawImage(b, a.getWidth() + gap, top, null);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString(captionA, 4, 19);
        g.drawString(captionB, a.getWidth() + gap + 4, 19);
        g.dispose();
        return out;
    }

    /** Writes {@code img} as PNG through a temporary file renamed over {@code file}. */
    static void writePng(BufferedImage img, Path file) {
        System.setProperty("java.awt.headless", "true");
        Path abs = file.toAbsolutePath().normalize();
        Path tmp = null;
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(img, "png", bytes);
            // a plain new file (the umask's mode, unlike createTempFile's 0600), renamed into place
            tmp = abs.resolveSibling(OutputFile.tempName(abs.getFileName().toString()));
            Files.write(tmp, bytes.toByteArray(), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // its name marks it as a leftover
                }
            }
            throw new OutputException(file + ": cannot write the image (" + e.getMessage() + ")", e);
        } finally {
            if (tmp != null) {
                OutputFile.forget(tmp);
            }
        }
    }
}
