package ai.djl.quant.integration;

import ai.djl.quant.examples.CenterNetDetect;
import ai.djl.quant.examples.NHotTwoStage;
import ai.djl.quant.examples.OnnxExport;
import ai.djl.quant.examples.ShiftPaperRecipe;
import ai.djl.quant.examples.ShiftQuickStart;
import ai.djl.quant.examples.ZooClassify;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Every runnable example, on real data with small settings, checked by what it prints. */
public class ExamplesTest {

    private static String run(ThrowingMain main) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.run();
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        stdout.print(out);
        return out;
    }

    @FunctionalInterface
    private interface ThrowingMain {
        void run() throws Exception;
    }

    @Test
    public void quickStartPrintsItsTable() throws Exception {
        String out = run(() -> ShiftQuickStart.main(new String[] {"1", "1", "2"}));
        Assert.assertTrue(out.contains("| fp32") && out.contains("shift"), out);
    }

    @Test
    public void shiftPaperRecipeFineTunesWeightsOnlyAndWeightsWithInputs() throws Exception {
        String out = run(() -> ShiftPaperRecipe.main(new String[] {"2000", "1", "1", "2"}));
        Assert.assertTrue(out.contains("shift s=2 W only, +1 epoch(s)") && out.contains("shift s=2 W+A, +1 epoch(s)"), out);
        Assert.assertTrue(out.contains("% hard"), out);
    }

    @Test
    public void nHotTwoStagePrintsAccuracyAndCosts() throws Exception {
        String out = run(() -> NHotTwoStage.main(new String[] {"3000", "1", "8", "2"}));
        Assert.assertTrue(out.contains("n-hot(8,2) W+A after two stages") && out.contains("total"), out);
    }

    @Test
    public void zooClassifyNamesAClass() throws Exception {
        String out = run(() -> ZooClassify.main(new String[] {"", "uniform", "resnet18"}));
        Assert.assertTrue(out.contains("Ankle boot"), out);
    }

    @Test
    public void centerNetDetectDrawsItsDetections() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("detections");
        String out = run(() -> CenterNetDetect.main(new String[] {"fp32", "2", dir.toString()}));
        Assert.assertTrue(out.contains("scene 1: truth"), out);
        for (String file : new String[] {"scene-0.png", "scene-1.png", "detections.png"}) {
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(dir.resolve(file).toFile());
            Assert.assertNotNull(image, file);
        }
        // each 96x96 scene drawn 3x larger; the montage puts both side by side, 8 px apart
        Assert.assertEquals(javax.imageio.ImageIO.read(dir.resolve("scene-0.png").toFile()).getWidth(), 288);
        Assert.assertEquals(javax.imageio.ImageIO.read(dir.resolve("detections.png").toFile()).getWidth(), 2 * 288 + 8);
    }

    @Test
    public void onnxExportAgreesWithDjl() throws Exception {
        String out = run(() -> OnnxExport.main(new String[] {"uniform", "resnet18", "100"}));
        Assert.assertTrue(out.contains("ONNX Runtime agrees with DJL on"), out);
    }
}
