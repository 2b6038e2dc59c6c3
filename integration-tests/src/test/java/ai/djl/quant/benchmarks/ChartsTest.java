package ai.djl.quant.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ChartsTest {

    @Test
    public void tradeOffDrawsModelsOfEqualCost() throws Exception {
        // every shift model of one scope has the same shift-adds: a zero-width log axis
        Path dir = Files.createTempDirectory("charts");
        Path file = dir.resolve("equal.png");
        Charts.tradeOff("equal cost", "shift-adds per image",
                List.of(new Charts.Point("shift", "W only", 1.2e8, 93.57), new Charts.Point("binary", "binary", 1.2e8, 93.51)), file);
        Assert.assertTrue(Files.size(file) > 0, file.toString());
        Path spread = dir.resolve("spread.png");
        Charts.tradeOff("spread", "model bytes", List.of(new Charts.Point("a", "a", 1e6, 90), new Charts.Point("b", "b", 4e7, 91)), spread);
        Assert.assertTrue(Files.size(spread) > 0, spread.toString());
    }

    @Test
    public void trainingAccuracyReadsTheHistoryCsv() {
        List<double[]> points = Charts.trainingAccuracy("epoch,loss,accuracy,seconds\n1,0.5,0.9,10\n2,0.4,0.925,10\n");
        Assert.assertEquals(points.size(), 2);
        Assert.assertEquals(points.get(1)[0], 2.0);
        Assert.assertEquals(points.get(1)[1], 92.5, 1e-9);
    }
}
