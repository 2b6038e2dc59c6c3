package ai.djl.quant.training;

import ai.djl.ndarray.NDManager;
import ai.djl.quant.Quantization;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.ShiftQuantizer;
import org.testng.Assert;
import org.testng.annotations.Test;

public class LambdaScheduleListenerTest {

    @Test
    public void setsLambdaOfEveryShiftQuantizerPerEpochAndPerStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedNetwork qnet =
                    Quantization.wrap(TestModels.init(TestModels.smallCnn(), manager), ShiftRecipe.shift(2, true));
            // the recipe's scope: 3x3 convolutions but the stem
            Assert.assertEquals(qnet.getQuantizedLayers().size(), 1);
            LambdaScheduleListener perEpoch = new LambdaScheduleListener(qnet, LambdaSchedule.reference(), 10);
            Assert.assertEquals(lambdas(qnet), 1f);
            perEpoch.onEpoch(null);
            Assert.assertEquals(lambdas(qnet), 0.5f);

            LambdaScheduleListener perStep = new LambdaScheduleListener(qnet, ShiftRecipe.schedule(1), 15);
            Assert.assertEquals(lambdas(qnet), 1f);
            perStep.onTrainingBatch(null, null); // 1/15 of the epoch = epoch 2 of the reference
            Assert.assertEquals(lambdas(qnet), 0.5f);
            for (int i = 0; i < 13; i++) {
                perStep.onTrainingBatch(null, null);
            }
            Assert.assertEquals(lambdas(qnet), 1 / 128f);
        }
    }

    private static float lambdas(QuantizedNetwork qnet) {
        float value = Float.NaN;
        for (var q : qnet.getQuantizers()) {
            float l = ((ShiftQuantizer) q).getLambda();
            Assert.assertTrue(Float.isNaN(value) || value == l);
            value = l;
        }
        return value;
    }
}
