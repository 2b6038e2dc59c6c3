package ai.djl.quant.training;

import ai.djl.quant.training.CocoEvaluator.Box;
import ai.djl.quant.training.CocoEvaluator.Detection;
import ai.djl.quant.training.CocoEvaluator.GroundTruth;
import java.util.ArrayList;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class CocoPairedBootstrapTest {

    private static final int IMAGES = 40;

    /** One object per image, class = image % 2, at a fixed box. */
    private static List<GroundTruth> truths() {
        List<GroundTruth> truths = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            truths.add(new GroundTruth(i, i % 2, new Box(0.1, 0.1, 0.5, 0.5)));
        }
        return truths;
    }

    /** Finds every object exactly, except in the images {@code missed} says. */
    private static List<Detection> detector(java.util.function.IntPredicate missed) {
        List<Detection> found = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            if (!missed.test(i)) {
                found.add(new Detection(i, i % 2, 0.9, new Box(0.1, 0.1, 0.5, 0.5)));
            }
        }
        return found;
    }

    @Test
    public void identicalDetectorsDifferByExactlyZero() {
        List<Detection> same = detector(i -> i % 5 == 0);
        var d = CocoPairedBootstrap.of(2, IMAGES, truths(), same, same, 200, 1);
        Assert.assertEquals(d.map(), 0.0);
        Assert.assertEquals(d.mapLow(), 0.0);
        Assert.assertEquals(d.mapHigh(), 0.0);
        Assert.assertEquals(d.resamples(), 200);
    }

    @Test
    public void intervalSurroundsTheObservedGap() {
        // a finds all 40 objects, b misses 8 of them: recall 0.8 at precision 1, so AP(b) = 81/101 per class
        List<Detection> a = detector(i -> false);
        List<Detection> b = detector(i -> i % 5 == 0);
        var d = CocoPairedBootstrap.of(2, IMAGES, truths(), a, b, 500, 7);
        Assert.assertEquals(d.a().map(), 1.0, 1e-9);
        Assert.assertEquals(d.b().map(), 81.0 / 101, 1e-9);
        Assert.assertEquals(d.map(), 1.0 - 81.0 / 101, 1e-9);
        Assert.assertEquals(d.map50(), d.map(), 1e-12, "exact boxes: every IoU threshold agrees");
        Assert.assertTrue(d.mapLow() < d.map() && d.map() < d.mapHigh(), d.toString());
        Assert.assertTrue(d.mapLow() > 0, "b misses objects in every resample that draws such an image: " + d);
        var again = CocoPairedBootstrap.of(2, IMAGES, truths(), a, b, 500, 7);
        Assert.assertEquals(new double[] {again.mapLow(), again.mapHigh(), again.map50Low(), again.map50High()},
                new double[] {d.mapLow(), d.mapHigh(), d.map50Low(), d.map50High()}, "the same seed, the same interval");
    }

    @Test
    public void refusesTooFewResamplesAndImagesOutOfRange() {
        List<Detection> a = detector(i -> false);
        Assert.expectThrows(IllegalArgumentException.class, () -> CocoPairedBootstrap.of(2, IMAGES, truths(), a, a, 99, 1));
        List<Detection> stray = new ArrayList<>(a);
        stray.add(new Detection(IMAGES, 0, 0.5, new Box(0, 0, 1, 1)));
        IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class,
                () -> CocoPairedBootstrap.of(2, IMAGES, truths(), stray, a, 100, 1));
        Assert.assertTrue(e.getMessage().contains("image 40"), e.getMessage());
    }
}
