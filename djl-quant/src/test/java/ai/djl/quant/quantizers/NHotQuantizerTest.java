package ai.djl.quant.quantizers;

import static ai.djl.quant.quantizers.QuantizerTesting.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.testng.Assert;
import org.testng.annotations.Test;

public class NHotQuantizerTest {

    @Test
    public void valuesAndStepGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // b=4, n=1, signed: levels {-4,-2,-1,0,1,2,4}; step 0.5
            NHotQuantizer q = NHotQuantizer.builder().setBits(4).optHot(1).optPerChannel(false).build();
            float[] x = {0f, 0.6f, 1.4f, 1.6f, 2.5f, -0.9f, 3f};
            NDArray input = manager.create(x);
            QuantizerTesting.init(q, manager, input, "step", 0.5f);
            QuantizerTesting.Pass pass = QuantizerTesting.run(q, manager, input, "step");
            // v = 0, 1.2, 2.8, 3.2, 5 (clipped to 4), -1.8, 6 (clipped): nearest n-hot levels
            float[] levels = {0, 1, 2, 4, 4, -2, 4};
            float[] expected = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = levels[i] * 0.5f;
            }
            assertClose(pass.value(), expected);
            assertClose(pass.inputGradient(), new float[] {1, 1, 1, 1, 0, 1, 0});
            double sum = 0;
            float[] v = {0f, 1.2f, 2.8f, 3.2f, 4f, -1.8f, 4f};
            for (int i = 0; i < x.length; i++) {
                sum += (i == 4 || i == 6) ? 4 : levels[i] - v[i];
            }
            Assert.assertEquals(pass.parameterGradient()[0], sum / Math.sqrt(x.length * 4), 1e-5);
        }
    }

    @Test
    public void nonFiniteInputNamesTheLayer() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NHotQuantizer q = NHotQuantizer.builder().setBits(8).optHot(2).optPerChannel(false).build();
            q.setLayerName("stage2/block1/conv");
            NDArray input = manager.create(new float[] {0.5f, -1f});
            QuantizerTesting.init(q, manager, input, "step", 0.01f);
            NDArray diverged = manager.create(new float[] {Float.NaN, 1f});
            IllegalStateException e =
                    Assert.expectThrows(IllegalStateException.class, () -> QuantizerTesting.run(q, manager, diverged, "step"));
            Assert.assertTrue(e.getMessage().startsWith("stage2/block1/conv: the weight"), e.getMessage());
            Assert.assertTrue(e.getMessage().contains("NaN or Inf"), e.getMessage());
        }
    }

    @Test
    public void twoStagesKeepTheStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NHotQuantizer q = (NHotQuantizer) NHotQuantizer.twoStageSpec(4, 1).create(QuantizerRole.WEIGHT);
            Assert.assertFalse(q.isNHotStage());
            Assert.assertEquals(q.qn(), -4); // the same range as the n-hot set
            Assert.assertEquals(q.qp(), 4);
            NDArray input = manager.create(new float[] {1.5f, -1.5f}, new ai.djl.ndarray.types.Shape(2, 1));
            QuantizerTesting.init(q, manager, input, "step", 0.5f, 0.5f);
            assertClose(QuantizerTesting.run(q, manager, input, "step").value(), new float[] {1.5f, -1.5f});
            String stage1 = q.describe();
            q.switchToNHot();
            Assert.assertTrue(q.isNHotStage());
            Assert.assertNotEquals(q.describe(), stage1);
            // 3 is not a 1-hot level: 1.5 / 0.5 = 3 -> 2 or 4 (tie goes up)
            assertClose(QuantizerTesting.run(q, manager, input, "step").value(), new float[] {2f, -1f});
            Assert.assertEquals(q.getDirectParameters().get("step").getArray().toFloatArray(), new float[] {0.5f, 0.5f});
            q.switchToUniform(); // and back, for measuring what the grid costs
            Assert.assertFalse(q.isNHotStage());
            Assert.assertEquals(q.describe(), stage1);
            assertClose(QuantizerTesting.run(q, manager, input, "step").value(), new float[] {1.5f, -1.5f});
        }
    }

    @Test
    public void switchRefittingTheStepFitsItToTheNextTensor() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NHotQuantizer q = (NHotQuantizer) NHotQuantizer.twoStageSpec(8, 2).create(QuantizerRole.WEIGHT);
            float[] w = {0.3f, -1.2f, 0.05f, 0.9f, -0.4f, 0.7f};
            NDArray input = manager.create(w, new ai.djl.ndarray.types.Shape(2, 3));
            QuantizerTesting.init(q, manager, input, "step", 0.02f, 0.02f);
            q.switchToNHotRefittingStep();
            Assert.assertTrue(q.isNHotStage());
            Assert.assertFalse(q.isCalibrated());
            float[] expected = MseStepSearch.search(input, q.getLevels(), true);
            QuantizerTesting.run(q, manager, input, null);
            Assert.assertEquals(q.getDirectParameters().get("step").getArray().toFloatArray(), expected, 1e-7f);
            Assert.assertNotEquals(expected[0], 0.02f, 1e-4f);
            // fitted once: the step is the optimizer's again afterwards
            q.getDirectParameters().get("step").getArray().set(new float[] {0.01f, 0.01f});
            QuantizerTesting.run(q, manager, input, null);
            Assert.assertEquals(q.getDirectParameters().get("step").getArray().toFloatArray(), new float[] {0.01f, 0.01f});
        }
    }

    @Test
    public void unsignedActivations() {
        NHotQuantizer q = NHotQuantizer.builder().setBits(8).optHot(2).optRole(QuantizerRole.ACTIVATION).build();
        Assert.assertFalse(q.isSigned());
        Assert.assertEquals(q.qn(), 0);
        Assert.assertEquals(q.qp(), 255);
        Assert.assertEquals(q.numLevels(), 58);
        Assert.expectThrows(IllegalArgumentException.class, () -> NHotQuantizer.builder().setBits(1).build());
        Assert.expectThrows(IllegalArgumentException.class, () -> NHotQuantizer.builder().setBits(8).optHot(0).build());
    }
}
