package ai.djl.quant.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts of benchmark results (JFreeChart, headless): trade-off scatter plots and training curves. */
final class Charts {

    /** One measured model: its family (one colour per family), a label, and the two coordinates. */
    record Point(String family, String label, double x, double y) {}

    /**
     * One fine-tuned model of a benchmark: its family (one colour per family), a label, its top-1
     * accuracy (%), model bytes, shift-adds per image (0 for a float model) and its training
     * history (an {@code EpochHistory} CSV, absent when not recorded).
     */
    record Run(String family, String label, double accuracy, double modelBytes, double shiftAdds, Path history) {}

    private Charts() {}

    /**
     * Writes a benchmark's three charts into {@code dir}: accuracy vs model bytes
     * ({@code accuracy-vs-bytes.png}), accuracy vs shift-add operations of the quantized models
     * ({@code accuracy-vs-shiftadds.png}) and training accuracy per epoch
     * ({@code training-curves.png}) of the runs that recorded a history.
     *
     * @param title what was measured, e.g. the architecture
     * @param runs the models
     * @param dir the output directory
     * @throws IOException when a history cannot be read or a chart written
     */
    static void fineTuning(String title, List<Run> runs, Path dir) throws IOException {
        List<Point> bytes = new ArrayList<>();
        List<Point> shiftAdds = new ArrayList<>();
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        for (Run r : runs) {
            bytes.add(new Point(r.family(), r.label(), r.modelBytes(), r.accuracy()));
            if (r.shiftAdds() > 0) {
                shiftAdds.add(new Point(r.family(), r.label(), r.shiftAdds(), r.accuracy()));
            }
            if (r.history() != null && Files.exists(r.history())) {
                curves.put(r.label(), trainingAccuracy(Files.readString(r.history(), StandardCharsets.UTF_8)));
            }
        }
        tradeOff(title + ": accuracy vs model size", "model bytes", bytes, dir.resolve("accuracy-vs-bytes.png"));
        if (!shiftAdds.isEmpty()) {
            tradeOff(title + ": accuracy vs shift-add operations", "shift-adds per image", shiftAdds,
                    dir.resolve("accuracy-vs-shiftadds.png"));
        }
        if (!curves.isEmpty()) {
            curves(title + ": training accuracy per fine-tuning epoch", "training accuracy (%)", curves,
                    dir.resolve("training-curves.png"));
        }
        System.out.println("charts written to " + dir.toAbsolutePath());
    }

    /**
     * Reads a training history CSV ({@code epoch,loss,accuracy,seconds}) as (epoch, accuracy %) points.
     *
     * @param csv the file's text
     * @return the points, in file order
     */
    static List<double[]> trainingAccuracy(String csv) {
        List<double[]> points = new ArrayList<>();
        for (String line : csv.split("\n")) {
            if (!line.isBlank() && !line.startsWith("epoch")) {
                String[] f = line.split(",");
                points.add(new double[] {Double.parseDouble(f[0]), 100 * Double.parseDouble(f[2])});
            }
        }
        return points;
    }

    /**
     * Draws accuracy against a cost on a logarithmic axis, one series per family, points labelled.
     *
     * @param title the title
     * @param xLabel the cost axis label
     * @param points the models
     * @param file the PNG to write (atomically)
     * @throws IOException when writing fails
     */
    static void tradeOff(String title, String xLabel, List<Point> points, Path file) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        Map<String, XYSeries> series = new LinkedHashMap<>();
        Map<String, String> labels = new java.util.HashMap<>();
        for (Point p : points) {
            XYSeries s = series.computeIfAbsent(p.family(), f -> new XYSeries(f, false, true));
            s.add(p.x(), p.y());
            labels.put(p.family() + "@" + s.getItemCount(), p.label());
        }
        series.values().forEach(data::addSeries);
        LogAxis x = new LogAxis(xLabel);
        x.setSmallestValue(1);
        x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
        x.setLowerMargin(0.2); // room for the point labels
        x.setUpperMargin(0.2);
        double low = points.stream().mapToDouble(Point::x).min().orElse(1);
        double high = points.stream().mapToDouble(Point::x).max().orElse(1);
        if (low == high) {
            // models of equal cost: JFreeChart cannot auto-range a zero-width log axis
            x.setAutoRange(false);
            x.setRange(low / 2, high * 2);
        }
        NumberAxis y = new NumberAxis("top-1 accuracy (%)");
        y.setAutoRangeIncludesZero(false);
        y.setUpperMargin(0.1);
        y.setLowerMargin(0.1);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        XYItemLabelGenerator generator = (dataset, s, item) -> labels.get(dataset.getSeriesKey(s) + "@" + (item + 1));
        renderer.setDefaultItemLabelGenerator(generator);
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        save(new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, new XYPlot(data, x, y, renderer), true), file);
    }

    /**
     * Draws training curves: one line per run, epochs on x.
     *
     * @param title the title
     * @param yLabel what is plotted
     * @param curves run name to (epoch, value) pairs
     * @param file the PNG to write (atomically)
     * @throws IOException when writing fails
     */
    static void curves(String title, String yLabel, Map<String, List<double[]>> curves, Path file) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        curves.forEach((name, points) -> {
            XYSeries s = new XYSeries(name);
            points.forEach(p -> s.add(p[0], p[1]));
            data.addSeries(s);
        });
        NumberAxis x = new NumberAxis("epoch");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        save(new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, new XYPlot(data, x, y, renderer), true), file);
    }

    private static void save(JFreeChart chart, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".chart", ".png");
        ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 560);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
