package ai.djl.quant.training;

import org.testng.Assert;
import org.testng.annotations.Test;

public class LambdaScheduleTest {

    @Test
    public void referenceScheduleMatchesThePaper() {
        LambdaSchedule s = LambdaSchedule.reference();
        float[] expected = {1, .5f, .5f, .5f, .25f, .25f, .25f, .125f, .125f, .125f, 1 / 16f, 1 / 16f, 1 / 32f, 1 / 64f, 1 / 128f};
        for (int epoch = 0; epoch < 15; epoch++) {
            Assert.assertEquals(s.lambda(epoch + 0.5), expected[epoch], 0f, "epoch " + (epoch + 1));
        }
        Assert.assertEquals(s.lambda(20), 1 / 128f, 0f);
        Assert.assertFalse(s.perStep());
    }

    @Test
    public void halvingAndCosine() {
        LambdaSchedule h = LambdaSchedule.halving(0.25, 0.25, 0f);
        Assert.assertEquals(h.lambda(0.1), 1f);
        Assert.assertEquals(h.lambda(0.3), 0.5f);
        Assert.assertEquals(h.lambda(0.6), 0.25f);
        Assert.assertTrue(h.perStep());
        LambdaSchedule c = LambdaSchedule.cosine(2);
        Assert.assertEquals(c.lambda(0), 1f, 1e-6f);
        Assert.assertEquals(c.lambda(1), 0.5f, 1e-6f);
        Assert.assertEquals(c.lambda(3), 0f, 1e-6f);
        Assert.expectThrows(IllegalArgumentException.class, () -> LambdaSchedule.perEpoch(1f, 2f));
    }
}
