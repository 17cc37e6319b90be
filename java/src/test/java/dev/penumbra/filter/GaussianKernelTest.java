package dev.penumbra.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.penumbra.Goldens;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gaussian weights against scipy's _gaussian_kernel1d (kernels.tsv from tools/make_goldens.py). */
class GaussianKernelTest {
    @Test
    void weightsMatchScipy() throws Exception {
        List<String> lines = Files.readAllLines(Goldens.dir().resolve("kernels.tsv"));
        assertEquals(8, lines.size());
        for (String line : lines) {
            String[] f = line.split("\t");
            double sigma = Double.parseDouble(f[0]);
            int order = Integer.parseInt(f[1]);
            double truncate = Double.parseDouble(f[2]);
            String[] ws = f[3].split(",");
            double[] w = GaussianKernel.weights(sigma, order, truncate);
            assertEquals(ws.length, w.length, "radius for " + line);
            for (int i = 0; i < w.length; i++) {
                double ref = Double.parseDouble(ws[i]);
                assertEquals(ref, w[i], 1e-15 * Math.max(1, Math.abs(ref)), "weight " + i + " of " + line);
            }
        }
    }

    @Test
    void symmetryIsDetectedAsScipyDoes() {
        assertEquals(Kernel1D.Symmetry.SYMMETRIC, new Kernel1D(GaussianKernel.weights(2, 0, 4), 0).symmetry());
        assertEquals(Kernel1D.Symmetry.ANTISYMMETRIC, new Kernel1D(GaussianKernel.weights(2, 1, 4), 0).symmetry());
        assertEquals(Kernel1D.Symmetry.SYMMETRIC, new Kernel1D(GaussianKernel.weights(2, 2, 4), 0).symmetry());
        assertEquals(Kernel1D.Symmetry.NONE, new Kernel1D(new double[] {1, 2}, 0).symmetry());
        assertEquals(Kernel1D.Symmetry.NONE, new Kernel1D(new double[] {1, 2, 3}, 0).symmetry());
    }
}
