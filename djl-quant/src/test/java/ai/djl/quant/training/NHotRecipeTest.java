package ai.djl.quant.training;

import ai.djl.ndarray.NDManager;
import ai.djl.quant.Quantization;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import org.testng.Assert;
import org.testng.annotations.Test;

public class NHotRecipeTest {

    @Test
    public void startsUniformAndSwitchesEveryQuantizer() {
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedNetwork qnet = Quantization.wrap(TestModels.init(TestModels.smallCnn(), manager), NHotRecipe.config(8, 2));
            Assert.assertEquals(qnet.getQuantizedLayers().size(), 1); // first and last stay float
            for (Quantizer q : qnet.getQuantizers()) {
                Assert.assertFalse(((NHotQuantizer) q).isNHotStage());
                Assert.assertEquals(q.numLevels(), q.isSigned() ? 255 : 256);
            }
            Assert.assertEquals(NHotRecipe.switchToNHot(qnet), 2);
            for (Quantizer q : qnet.getQuantizers()) {
                Assert.assertTrue(((NHotQuantizer) q).isNHotStage());
                Assert.assertEquals(q.numLevels(), q.isSigned() ? 87 : 58);
            }
        }
    }

    @Test
    public void refitsTheStepsItIsToldTo() {
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedNetwork qnet = Quantization.wrap(TestModels.init(TestModels.smallCnn(), manager), NHotRecipe.config(8, 2));
            for (Quantizer q : qnet.getQuantizers()) {
                q.markCalibrated(); // as after the uniform stage
            }
            Assert.assertEquals(NHotRecipe.switchToNHot(qnet, q -> q.getRole() != QuantizerRole.WEIGHT), 2);
            for (Quantizer q : qnet.getQuantizers()) {
                Assert.assertTrue(((NHotQuantizer) q).isNHotStage());
                // a quantizer to refit calibrates again on its next tensor; the others keep their steps
                Assert.assertEquals(q.isCalibrated(), q.getRole() == QuantizerRole.WEIGHT, q.getLayerName());
            }
        }
    }
}
