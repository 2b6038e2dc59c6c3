package ai.djl.quant.training;

import ai.djl.quant.training.CocoEvaluator.Box;
import ai.djl.quant.training.CocoEvaluator.Detection;
import ai.djl.quant.training.CocoEvaluator.GroundTruth;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Hand-computed COCO cases. */
public class CocoEvaluatorTest {

    private static final Box A = new Box(0, 0, 10, 10);

    @Test
    public void perfectDetectionsScoreOne() {
        CocoEvaluator e = new CocoEvaluator(2);
        e.add(new GroundTruth(0, 0, A));
        e.add(new GroundTruth(1, 1, new Box(5, 5, 4, 8)));
        e.add(new Detection(0, 0, 0.9, A));
        e.add(new Detection(1, 1, 0.8, new Box(5, 5, 4, 8)));
        CocoEvaluator.Result r = e.evaluate();
        Assert.assertEquals(r.map(), 1.0, 1e-12);
        Assert.assertEquals(r.map50(), 1.0, 1e-12);
    }

    @Test
    public void aHigherScoredFalsePositiveHalvesPrecision() {
        // detections by score: FP (p = 0, r = 0), TP (p = 1/2, r = 1); interpolated p = 1/2 at every recall
        CocoEvaluator e = new CocoEvaluator(1);
        e.add(new GroundTruth(0, 0, A));
        e.add(new Detection(0, 0, 0.9, new Box(50, 50, 10, 10)));
        e.add(new Detection(0, 0, 0.5, A));
        Assert.assertEquals(e.evaluate().map50(), 0.5, 1e-12);
    }

    @Test
    public void halfTheObjectsFoundGivesRecallPoints() {
        // two objects, one found first: p = 1 up to recall 0.5 (51 of the 101 points), then nothing
        CocoEvaluator e = new CocoEvaluator(1);
        e.add(new GroundTruth(0, 0, A));
        e.add(new GroundTruth(1, 0, A));
        e.add(new Detection(0, 0, 0.9, A));
        Assert.assertEquals(e.evaluate().map50(), 51.0 / 101, 1e-12);
    }

    @Test
    public void iouDecidesAtWhichThresholdsABoxCounts() {
        // IoU = 60 / 100 = 0.6 (a 10x6 overlap of two 10x10 boxes... here 10x10 vs 10x6 inside it)
        Box inner = new Box(0, 0, 10, 6);
        Assert.assertEquals(A.iou(inner), 0.6, 1e-12);
        CocoEvaluator e = new CocoEvaluator(1);
        e.add(new GroundTruth(0, 0, A));
        e.add(new Detection(0, 0, 0.7, inner));
        CocoEvaluator.Result r = e.evaluate();
        Assert.assertEquals(r.map50(), 1.0, 1e-12);
        // true positive at 0.50, 0.55 and 0.60 of the ten thresholds
        Assert.assertEquals(r.map(), 0.3, 1e-12);
    }

    @Test
    public void classesWithoutGroundTruthAreLeftOutAndDuplicatesAreFalsePositives() {
        CocoEvaluator e = new CocoEvaluator(3);
        e.add(new GroundTruth(0, 0, A));
        e.add(new Detection(0, 0, 0.9, A));
        e.add(new Detection(0, 0, 0.8, A)); // a second detection of the same object: FP after the TP
        e.add(new Detection(0, 2, 0.8, A)); // class 2 has no ground truth: ignored
        CocoEvaluator.Result r = e.evaluate();
        Assert.assertTrue(Double.isNaN(r.ap()[1]) && Double.isNaN(r.ap()[2]));
        Assert.assertEquals(r.map50(), 1.0, 1e-12); // the FP comes after recall 1 is reached
    }
}
