package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.testng.Assert;
import org.testng.annotations.Test;

public class QuantizationOptimizerTest {

    @Test
    public void quantizerParametersGetTheirOwnRateAndNoWeightDecay() {
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedNetwork qnet =
                    Quantization.wrap(
                            TestModels.init(TestModels.smallCnn(), manager),
                            QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).build());
            Optimizer model =
                    Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).optWeightDecays(0.5f).build();
            QuantizationOptimizer optimizer = QuantizationOptimizer.of(qnet, model, Tracker.fixed(0.01f));
            Assert.assertEquals(qnet.getQuantizerParameters().size(), 3);

            Parameter step = qnet.getQuantizerParameters().get(0);
            NDArray stepBefore = step.getArray().duplicate();
            optimizer.update(step.getId(), step.getArray(), step.getArray().onesLike());
            // SGD, lr 0.01, gradient 1, no weight decay: every step moves by exactly -0.01
            float[] moved = stepBefore.sub(step.getArray()).toFloatArray();
            for (float m : moved) {
                Assert.assertEquals(m, 0.01f, 1e-6f);
            }

            Parameter weight = qnet.getQuantizedLayers().get(0).getWeight();
            Assert.assertFalse(optimizer.isQuantizerParameter(weight.getId()));
            NDArray w = weight.getArray();
            NDArray before = w.duplicate();
            optimizer.update(weight.getId(), w, w.zerosLike());
            // the model optimizer's weight decay acts on weights: w -= lr * wd * w
            float expected = before.getFloat(0, 0, 0, 0) * (1 - 0.1f * 0.5f);
            Assert.assertEquals(w.getFloat(0, 0, 0, 0), expected, 1e-6f);
        }
    }
}
