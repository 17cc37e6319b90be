package dev.penumbra.cli;

import dev.penumbra.OutputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** PNG charts (XChart, headless), written to a temporary file and renamed into place. */
final class Charts {
    private Charts() {
    }

    /** Fails before any work when {@code file} cannot be written. */
    static void checkWritable(Path file, String option) {
        Path abs = file.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new OutputException(option + ": directory " + dir + " of " + file + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new OutputException(option + ": directory " + dir + " of " + file + " is not writable");
        }
        if (Files.isDirectory(abs)) {
            throw new OutputException(option + ": " + file + " is a directory, expected a file name");
        }
    }

    /** Grouped bars: one group per shape, one bar per backend, height = speed-up over scalar. */
    static void abChart(List<AbCommand.Row> rows, String title, Path file) {
        Set<String> shapes = new LinkedHashSet<>();
        Set<String> backends = new LinkedHashSet<>();
        for (AbCommand.Row r : rows) {
            shapes.add(r.shape());
            backends.add(r.backend());
        }
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(560).title(title)
                .xAxisTitle("volume shape (float32)").yAxisTitle("speed-up over scalar (median of rounds)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.0");
        chart.getStyler().setChartTitleFont(chart.getStyler().getChartTitleFont().deriveFont(14f));
        for (String b : backends) {
            List<String> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (String s : shapes) {
                for (AbCommand.Row r : rows) {
                    if (r.shape().equals(s) && r.backend().equals(b)) {
                        xs.add(s);
                        ys.add(r.speedup());
                    }
                }
            }
            chart.addSeries(b, xs, ys);
        }
        write(chart, file);
    }

    private static void write(CategoryChart chart, Path file) {
        System.setProperty("java.awt.headless", "true");
        Path abs = file.toAbsolutePath().normalize();
        Path tmp = null;
        try {
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            tmp = Files.createTempFile(abs.getParent(), ".penumbra-tmp-" + abs.getFileName(), ".png");
            Files.write(tmp, png);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary name marks it as leftover
                }
            }
            throw new OutputException(file + ": cannot write the chart (" + e.getMessage() + ")", e);
        }
    }
}
