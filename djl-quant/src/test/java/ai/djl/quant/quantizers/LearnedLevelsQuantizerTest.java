package ai.djl.quant.quantizers;

import static ai.djl.quant.quantizers.QuantizerTesting.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.testng.Assert;
import org.testng.annotations.Test;

public class LearnedLevelsQuantizerTest {

    @Test
    public void levelsReceiveTheScatterAddedGradient() {
        levelGradients(false, 1.0);
    }

    @Test
    public void levelGradientsAreScaledByOneOverTheRootOfTheTableSize() {
        levelGradients(true, 1 / Math.sqrt(6)); // one table for the 6 weights
    }

    private void levelGradients(boolean scaled, double factor) {
        try (NDManager manager = NDManager.newBaseManager()) {
            LearnedLevelsQuantizer q = LearnedLevelsQuantizer.builder().setBits(2).optPerChannel(false).optGradientScale(scaled).build();
            NDArray w = manager.create(new float[] {-0.9f, 0.1f, 0.3f, 0.6f, 2f, -0.2f}, new Shape(2, 3));
            // levels deliberately unsorted: the table is sorted in the forward pass
            QuantizerTesting.init(q, manager, w, "levels", 0.5f, -1f, 1f, 0f);
            float[] upstream = {1f, 2f, 3f, 4f, 5f, 6f};
            ParameterStore store = new ParameterStore(manager, false);
            w.setRequiresGradient(true);
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                NDArray y = q.quantize(store, w, true);
                gc.backward(y.mul(manager.create(upstream, new Shape(2, 3))).sum());
                // nearest of {-1, 0, 0.5, 1}: -0.9->-1, 0.1->0, 0.3->0.5, 0.6->0.5, 2->1, -0.2->0
                assertClose(y.toFloatArray(), new float[] {-1f, 0f, 0.5f, 0.5f, 1f, 0f});
                // by hand: level -1 gets 1; 0 gets 2+6; 0.5 gets 3+4; 1 gets 5 (in parameter order 0.5, -1, 1, 0)
                float[] byHand = {7f, 1f, 5f, 8f};
                for (int i = 0; i < byHand.length; i++) {
                    byHand[i] *= (float) factor;
                }
                assertClose(q.getDirectParameters().get("levels").getArray().getGradient().toFloatArray(), byHand);
                assertClose(w.getGradient().toFloatArray(), upstream);
            }
        }
    }

    @Test
    public void symmetricPerChannelPowerOfTwo() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LearnedLevelsQuantizer q = LearnedLevelsQuantizer.builder().setBits(2).optSymmetric(true).optPowerOfTwo(true).build();
            NDArray w = manager.create(new float[] {0.3f, -0.7f, 0.1f, 3f, -2f, 0.2f}, new Shape(2, 3));
            // per channel, 2 magnitudes each; powers of two after snapping: {0.25, 1} and {0.5, 2}
            QuantizerTesting.init(q, manager, w, "levels", 0.3f, 0.9f, 0.45f, 2.2f);
            q.setDeployMode(true);
            NDArray y = q.quantize(new ParameterStore(manager, false), w, false);
            assertClose(y.toFloatArray(), new float[] {0.25f, -1f, 0.25f, 2f, -2f, 0.5f});
            Assert.assertTrue(q.describe().contains("symmetric"));
        }
    }

    @Test
    public void lloydMaxBeatsAUniformGridOnAGaussianSample() {
        Random random = new Random(11);
        float[] sample = new float[20_000];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = (float) random.nextGaussian();
        }
        float[] designed = LloydMax.levels(sample, 16, 50);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : sample) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float[] uniform = new float[16];
        for (int k = 0; k < 16; k++) {
            uniform[k] = min + (max - min) * (k + 0.5f) / 16;
        }
        Assert.assertTrue(LloydMax.meanSquaredError(sample, designed) < 0.7 * LloydMax.meanSquaredError(sample, uniform));
    }

    @Test
    public void calibrationUsesLloydMaxPerChannelAndIsSaved() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LearnedLevelsQuantizer q = LearnedLevelsQuantizer.builder().setBits(1).build();
            NDArray w = manager.create(new float[] {1f, 1.2f, 3f, 3.2f, -5f, -5f, 5f, 5f}, new Shape(2, 4));
            q.initialize(manager, DataType.FLOAT32, w.getShape());
            q.calibrateFrom(w);
            assertClose(q.getDirectParameters().get("levels").getArray().toFloatArray(), new float[] {1.1f, 3.1f, -5f, 5f});
            Assert.expectThrows(IllegalArgumentException.class, () -> LearnedLevelsQuantizer.builder().setBits(9).build());
        }
    }
}
