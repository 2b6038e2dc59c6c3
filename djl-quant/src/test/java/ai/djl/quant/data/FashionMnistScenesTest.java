package ai.djl.quant.data;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.Record;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FashionMnistScenesTest {

    @Test
    public void scenesAreReproducibleWithTightNonOverlappingBoxes() throws Exception {
        FashionMnistScenes scenes = FashionMnistScenes.builder().setSampling(8, false).optScenes(200).build();
        scenes.prepare(null);
        int[] counts = new int[5];
        for (int i = 0; i < 200; i++) {
            FashionMnistScenes.Scene s = scenes.scene(i);
            Assert.assertEquals(scenes.scene(i).pixels(), s.pixels(), "scene " + i + " is not reproducible");
            counts[s.objects().size()]++;
            for (FashionMnistScenes.SceneObject o : s.objects()) {
                Assert.assertTrue(o.x() >= 0 && o.y() >= 0 && o.x() + o.w() <= 96 && o.y() + o.h() <= 96, o.toString());
                // tight: every edge row and column of the box holds ink
                Assert.assertTrue(hasInk(s, o.x(), o.y(), o.w(), 1) && hasInk(s, o.x(), o.y() + o.h() - 1, o.w(), 1)
                        && hasInk(s, o.x(), o.y(), 1, o.h()) && hasInk(s, o.x() + o.w() - 1, o.y(), 1, o.h()), o.toString());
                for (FashionMnistScenes.SceneObject other : s.objects()) {
                    Assert.assertTrue(o == other || o.iou(other) <= 0.2);
                }
            }
        }
        Assert.assertEquals(counts[0], 0);
        for (int k = 1; k <= 4; k++) {
            Assert.assertTrue(counts[k] > 20, "scenes with " + k + " items: " + counts[k]);
        }
    }

    private static boolean hasInk(FashionMnistScenes.Scene s, int x, int y, int w, int h) {
        for (int j = y; j < y + h; j++) {
            for (int i = x; i < x + w; i++) {
                if (s.pixels()[j * 96 + i] > 0.1f) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    public void recordsUseDjlsDetectionLabelLayout() throws Exception {
        FashionMnistScenes test = FashionMnistScenes.builder().setSampling(8, false).optUsage(Dataset.Usage.TEST)
                .optScenes(10).optItems(2, 2).build();
        test.prepare(null);
        try (NDManager manager = NDManager.newBaseManager()) {
            Record r = test.get(manager, 3);
            Assert.assertEquals(r.getData().head().getShape().getShape(), new long[] {1, 96, 96});
            float[] label = r.getLabels().head().toFloatArray();
            Assert.assertEquals(label.length, 20);
            FashionMnistScenes.SceneObject first = test.scene(3).objects().get(0);
            Assert.assertEquals(label[0], (float) first.label());
            Assert.assertEquals(label[1], first.x() / 96f, 1e-6);
            Assert.assertEquals(label[4], first.h() / 96f, 1e-6);
            Assert.assertEquals(label[15], -1f); // rows 3 and 4 are padding
        }
        Assert.expectThrows(IllegalArgumentException.class, () -> FashionMnistScenes.builder().setSampling(8, false).optScales(1, 4).build());
    }
}
