package ai.djl.quant.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    private Charts() {}

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
        Map<String, XYSeries> series = new java.util.LinkedHashMap<>();
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
