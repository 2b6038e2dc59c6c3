package ai.djl.quant.zoo;

import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.zoo.detection.CenterNetTranslator;
import ai.djl.translate.Translator;
import java.util.Map;
import org.testng.Assert;
import org.testng.annotations.Test;

public class DetectorModelLoaderTest {

    private static final int CLASSES = 10;
    private static final int SIDE = 24;

    /** A CenterNet output with two peaks: class 2 scoring 0.5 at (5, 6), class 7 scoring 0.05 at (17, 12). */
    private static NDArray twoPeaks(NDManager manager) {
        float[] out = new float[(CLASSES + 4) * SIDE * SIDE];
        java.util.Arrays.fill(out, 0, CLASSES * SIDE * SIDE, -10f);
        out[2 * SIDE * SIDE + 6 * SIDE + 5] = 0f;
        out[7 * SIDE * SIDE + 12 * SIDE + 17] = (float) Math.log(0.05 / 0.95);
        for (int c = CLASSES; c < CLASSES + 2; c++) {
            java.util.Arrays.fill(out, c * SIDE * SIDE, (c + 1) * SIDE * SIDE, 4f); // boxes 4 cells wide and high
        }
        return manager.create(out, new Shape(CLASSES + 4, SIDE, SIDE));
    }

    private static DetectedObjects detect(Map<String, ?> arguments) throws Exception {
        @SuppressWarnings("unchecked")
        Translator<?, DetectedObjects> translator =
                (Translator<?, DetectedObjects>) new DetectorModelLoader("centernet").defaultTranslator(arguments);
        Assert.assertTrue(translator instanceof CenterNetTranslator);
        try (NDManager manager = NDManager.newBaseManager()) {
            return translator.processOutput(null, new NDList(twoPeaks(manager)));
        }
    }

    @Test
    public void theDefaultThresholdKeepsOnlyConfidentDetections() throws Exception {
        DetectedObjects found = detect(null);
        Assert.assertEquals(found.getNumberOfObjects(), 1);
        Assert.assertEquals(found.item(0).getClassName(), "Pullover");
        Assert.assertEquals(found.item(0).getProbability(), 0.5, 1e-6);
        Assert.assertEquals(detect(Map.of()).getNumberOfObjects(), 1);
    }

    @Test
    public void theThresholdArgumentSetsTheLowestScoreReported() throws Exception {
        DetectedObjects found = detect(Map.of(DetectorModelLoader.THRESHOLD_ARGUMENT, String.valueOf(ZooEvaluation.DETECTION_THRESHOLD)));
        Assert.assertEquals(found.getNumberOfObjects(), 2);
        Assert.assertEquals(found.item(1).getClassName(), "Sneaker");
        Assert.assertEquals(found.item(1).getProbability(), 0.05, 1e-6);
        Assert.assertEquals(detect(Map.of(DetectorModelLoader.THRESHOLD_ARGUMENT, 0.6f)).getNumberOfObjects(), 0);
    }

    @Test
    public void aThresholdOutsideZeroToOneIsRefused() {
        for (Object bad : new Object[] {"0", "1", "1.5", "-0.1", "NaN"}) {
            IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class,
                    () -> detect(Map.of(DetectorModelLoader.THRESHOLD_ARGUMENT, bad)));
            Assert.assertTrue(e.getMessage().contains("not in (0, 1)"), e.getMessage());
        }
    }
}
