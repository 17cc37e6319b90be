package dev.penumbra.cli;

import dev.penumbra.OutputException;
import dev.penumbra.diagnostics.Profiler;
import dev.penumbra.engine.Monitor;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

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
        Images.writePng(BitmapEncoder.getBufferedImage(chart), file);
    }

    /**
     * Left: a roofline (useful GFLOP/s against arithmetic intensity, with the memory ceiling from
     * the copy floor and the FMA ceiling), the run as a point. Right: each thread's time line,
     * coloured by phase (streamed runs) or by tile.
     */
    static void profileChart(Profiler.Report r, Path file) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage roof = BitmapEncoder.getBufferedImage(roofline(r));
        BufferedImage line = timeline(r, 700, roof.getHeight());
        BufferedImage all = new BufferedImage(roof.getWidth() + line.getWidth(),
                roof.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.drawImage(roof, 0, 0, null);
        g.drawImage(line, roof.getWidth(), 0, null);
        g.dispose();
        Images.writePng(all, file);
    }

    private static XYChart roofline(Profiler.Report r) {
        double elements = 1;
        for (long e : r.shape()) {
            elements *= e;
        }
        double flops = 2 * r.fmasPerVoxel() * elements;
        double bytes = r.bytesRead() + r.bytesWritten();
        double intensity = flops / bytes;
        double achieved = flops / (r.filterMs() / 1e3) / 1e9;
        double bandwidth = bytes / (r.memFloorMs() / 1e3) / 1e9;          // GB/s of the copy floor
        double peak = 2 * r.fmaRatePerThread() * r.threads() / 1e9;      // GFLOP/s
        XYChart c = new XYChartBuilder().width(700).height(520)
                .title("roofline: " + r.backend() + ", " + r.threads() + " threads")
                .xAxisTitle("arithmetic intensity (useful FLOP per byte moved)").yAxisTitle("GFLOP/s (useful)").build();
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        c.getStyler().setMarkerSize(12);
        double ridge = peak / bandwidth; // where the memory ceiling meets the FMA ceiling
        double[] xs = DoubleStream.concat(DoubleStream.of(0.05, 0.1, 0.2, 0.5, 1, 2, 5,
                10, 20, 50, 100), DoubleStream.of(ridge)).filter(x -> x >= 0.05 && x <= 100).sorted()
                .toArray();
        double[] mem = new double[xs.length];
        double[] fma = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            mem[i] = Math.min(bandwidth * xs[i], peak);
            fma[i] = peak;
        }
        c.addSeries(String.format(Locale.ROOT, "memory ceiling %.1f GB/s", bandwidth), xs, mem)
                .setMarker(SeriesMarkers.NONE);
        c.addSeries(String.format(Locale.ROOT, "FMA ceiling %.0f GFLOP/s", peak), xs, fma)
                .setMarker(SeriesMarkers.NONE);
        c.addSeries(String.format(Locale.ROOT, "this run %.1f GFLOP/s at %.2f FLOP/B", achieved, intensity),
                        new double[] {intensity}, new double[] {achieved})
                .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        return c;
    }

    private static final List<Color> PALETTE = List.of(new Color(0x4C72B0), new Color(0xDD8452),
        new Color(0x55A868), new Color(0xC44E52), new Color(0x8172B3),
        new Color(0x937860), new Color(0xDA8BC3));

    private static BufferedImage timeline(Profiler.Report r, int w, int h) {
        BufferedImage img = new BufferedImage(w, h,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
                RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(g.getFont().deriveFont(Font.BOLD, 14f));
        g.drawString("per-thread timeline of the measured run (" + String.format(Locale.ROOT, "%.1f ms",
                r.filterMs()) + ")", 20, 24);
        g.setFont(g.getFont().deriveFont(Font.PLAIN, 12f));
        List<Monitor.Span> spans = r.spans();
        boolean phases = spans.stream().anyMatch(s -> !s.what().startsWith("chunk ") && !s.what().startsWith("tile "));
        long t0 = spans.stream().mapToLong(Monitor.Span::startNanos).min().orElse(0);
        long t1 = spans.stream().mapToLong(Monitor.Span::endNanos).max().orElse(1);
        int workers = Math.max(1, r.busy().length);
        int left = 90;
        int right = w - 20;
        int top = 50;
        int rowH = Math.min(60, (h - 140) / workers);
        Map<String, Color> colors = new LinkedHashMap<>();
        drawRows(g, spans, phases, colors, t0, t1, left, right, top, rowH);
        g.setColor(Color.BLACK);
        for (int i = 0; i < workers; i++) {
            g.drawString("thread " + i, 10, top + i * rowH + rowH / 2 + 4);
        }
        int axisY = top + workers * rowH + 10;
        drawAxis(g, left, right, axisY, 0, (t1 - t0) / 1e6);
        if (phases) {
            // a window of 3 % of the run from its middle, where single batches are visible
            long z0 = t0 + (long) ((t1 - t0) * 0.5);
            long z1 = z0 + (long) ((t1 - t0) * 0.03);
            int zTop = axisY + 75;
            int zRowH = Math.min(40, rowH);
            g.drawString(String.format(Locale.ROOT, "zoom: %.1f-%.1f ms", (z0 - t0) / 1e6, (z1 - t0) / 1e6),
                    left, zTop - 8);
            drawRows(g, spans, true, colors, z0, z1, left, right, zTop, zRowH);
            g.setColor(Color.BLACK);
            for (int i = 0; i < workers; i++) {
                g.drawString("thread " + i, 10, zTop + i * zRowH + zRowH / 2 + 4);
            }
            axisY = zTop + workers * zRowH + 10;
            drawAxis(g, left, right, axisY, (z0 - t0) / 1e6, (z1 - t0) / 1e6);
        }
        int ly = axisY + 40;
        int lx = left;
        for (Map.Entry<String, Color> e : colors.entrySet()) {
            g.setColor(e.getValue());
            g.fillRect(lx, ly - 10, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), lx + 16, ly);
            lx += 20 + g.getFontMetrics().stringWidth(e.getKey()) + 14;
            if (lx > right - 80) {
                lx = left;
                ly += 18;
            }
        }
        g.dispose();
        return img;
    }

    /** Spans clipped to [t0, t1] as bars, one row per worker. */
    private static void drawRows(Graphics2D g, List<Monitor.Span> spans, boolean phases,
                                 Map<String, Color> colors, long t0, long t1, int left, int right,
                                 int top, int rowH) {
        for (Monitor.Span s : spans) {
            boolean whole = s.what().startsWith("chunk ") || s.what().startsWith("tile ");
            if (phases && whole || s.endNanos() < t0 || s.startNanos() > t1) {
                continue; // a chunk's phases are drawn instead of the chunk
            }
            String key = phases ? s.what() : s.what().startsWith("tile ") ? "tiles (a colour each)"
                    : "chunks (a colour each)";
            Color col = colors.computeIfAbsent(key, k -> PALETTE.get(colors.size() % PALETTE.size()));
            if (!phases) {
                col = PALETTE.get((int) (Math.abs((long) s.what().hashCode()) % PALETTE.size()));
            }
            int x0 = left + (int) ((double) (Math.max(t0, s.startNanos()) - t0) / (t1 - t0) * (right - left));
            int x1 = left + (int) Math.ceil((double) (Math.min(t1, s.endNanos()) - t0) / (t1 - t0) * (right - left));
            g.setColor(col);
            g.fillRect(x0, top + s.worker() * rowH + 4, Math.max(1, x1 - x0), rowH - 8);
        }
    }

    private static void drawAxis(Graphics2D g, int left, int right, int y, double fromMs, double toMs) {
        g.setColor(Color.BLACK);
        g.drawLine(left, y, right, y);
        for (int k = 0; k <= 4; k++) {
            int x = left + (right - left) * k / 4;
            g.drawLine(x, y, x, y + 5);
            String label = String.format(Locale.ROOT, "%.1f ms", fromMs + (toMs - fromMs) * k / 4);
            int wdt = g.getFontMetrics().stringWidth(label);
            g.drawString(label, k == 4 ? x - wdt : k == 0 ? x : x - wdt / 2, y + 20);
        }
    }

    /** One point of a scaling chart: a series (size, backend, schedule), threads, speed-up, memory ceiling. */
    record Scaling(String series, int threads, double speedup, double memoryCeiling, long bytes) {
    }

    /** Speed-up against threads per series, with the ideal line and each series' memory ceiling. */
    static void scalingChart(List<Scaling> points, String title, Path file) {
        XYChart c = new XYChartBuilder().width(1000).height(560).title(title)
                .xAxisTitle("threads").yAxisTitle("speed-up over 1 thread (median of rounds)").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisLogarithmic(true); // the memory ceiling sits far above the measured lines
        int maxT = points.stream().mapToInt(Scaling::threads).max().orElse(1);
        double[] tx = IntStream.rangeClosed(1, maxT).asDoubleStream().toArray();
        c.addSeries("ideal", tx, tx).setMarker(SeriesMarkers.NONE);
        Set<String> series = new LinkedHashSet<>();
        points.forEach(p -> series.add(p.series()));
        for (String name : series) {
            List<Scaling> ps = points.stream().filter(p -> p.series().equals(name))
                    .sorted(Comparator.comparingInt(Scaling::threads)).toList();
            c.addSeries(name, ps.stream().mapToDouble(Scaling::threads).toArray(),
                    ps.stream().mapToDouble(Scaling::speedup).toArray());
        }
        // the bound memory bandwidth alone would set, for the largest volume and its fastest series:
        // its 1-thread time over a copy of the same bytes with t threads
        long largest = points.stream().mapToLong(Scaling::bytes).max().orElse(0);
        String fastest = points.stream().filter(p -> p.bytes() == largest)
                .min(Comparator.comparingDouble(Scaling::memoryCeiling)).map(Scaling::series).orElse("");
        List<Scaling> ceiling = points.stream().filter(p -> p.series().equals(fastest))
                .sorted(Comparator.comparingInt(Scaling::threads)).toList();
        c.addSeries(String.format(Locale.ROOT, "memory ceiling (%s): %.0fx at %d", fastest,
                        ceiling.isEmpty() ? 0 : ceiling.get(ceiling.size() - 1).memoryCeiling(), maxT), ceiling.stream().mapToDouble(Scaling::threads).toArray(),
                ceiling.stream().mapToDouble(Scaling::memoryCeiling).toArray())
                .setMarker(SeriesMarkers.NONE);
        System.setProperty("java.awt.headless", "true");
        Images.writePng(BitmapEncoder.getBufferedImage(c), file);
    }
}
