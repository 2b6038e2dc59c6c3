package ai.djl.quant.zoo.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.testng.Assert;
import org.testng.annotations.Test;

public class CenterNetImitationLossTest {

    /** Logit of p. */
    private static float logit(double p) {
        return (float) Math.log(p / (1 - p));
    }

    @Test
    public void isZeroForTheTeachersOwnOutputAndMatchesAHandComputedCase() {
        try (NDManager manager = NDManager.newBaseManager()) {
            CenterNetImitationLoss loss = new CenterNetImitationLoss(1);
            // one image, 1 class, 1×2 positions; channels: heat, w, h, dx, dy
            float[] teacher = {
                logit(0.8), logit(0.2), // heat at positions 0, 1: confidence 0.8 and 0.2
                10, 10, // w
                20, 20, // h
                0.5f, 0.5f, // dx
                0.5f, 0.5f, // dy
            };
            float[] student = {
                logit(0.5), logit(0.2),
                12, 10,
                20, 25,
                0.5f, 0.25f,
                0.5f, 0.5f,
            };
            Shape shape = new Shape(1, 5, 1, 2);
            NDArray t = manager.create(teacher, shape);
            NDArray s = manager.create(student, shape);
            Assert.assertEquals(loss.evaluate(new NDList(t), new NDList(t)).getFloat(), 0f, 1e-6f);
            // heat: (0.5-0.8)² + 0 = 0.09 per image
            // regression weighted by the teacher's confidence c = (0.8, 0.2), Σc = 1:
            //   size: 0.1·(0.8·2 + 0.2·5) = 0.26; offset: 0.2·0.25 = 0.05
            Assert.assertEquals(loss.evaluate(new NDList(t), new NDList(s)).getFloat(), 0.09f + 0.26f + 0.05f, 1e-5f);
            Assert.expectThrows(IllegalArgumentException.class,
                    () -> loss.evaluate(new NDList(t), new NDList(manager.zeros(new Shape(1, 5, 2, 2)))));
        }
    }
}
