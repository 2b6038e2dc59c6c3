package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ChannelBalancedQuantizerTest {

    @Test
    public void valuesAndStraightThroughGradientInsideTheClip() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // unsigned 3 bits, clip 3.5: step 0.5, levels 0..7; inside, both range ends, and beyond
            // them by more than half a step (where the fused kernel and the element-wise form agree)
            NDArray x = manager.create(new float[] {0f, 0.24f, 0.26f, 1f, 3.5f, 4.2f, -0.6f});
            ChannelBalancedQuantizer q = ChannelBalancedQuantizer.builder().setBits(3).build();
            QuantizerTesting.init(q, manager, x, "clip", 3.5f);
            x.setRequiresGradient(true);
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                // not a training pass: a training pass re-searches the clip on its first batches
                NDArray y = q.quantize(new ParameterStore(manager, false), x, false);
                gc.backward(y.sum());
                QuantizerTesting.assertClose(y.toFloatArray(), new float[] {0f, 0f, 0.5f, 1f, 3.5f, 3.5f, 0f});
                QuantizerTesting.assertClose(x.getGradient().toFloatArray(), new float[] {1, 1, 1, 1, 1, 0, 0});
            }
        }
    }

    @Test
    public void lowerErrorThanThePlainClipOnMostChannels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            int channels = 16;
            // post-ReLU activations; channels 0 and 1 have 30x the scale of the others
            float[] scale = new float[channels];
            java.util.Arrays.fill(scale, 1f);
            scale[0] = 30f;
            scale[1] = 30f;
            NDArray x = manager.randomNormal(new Shape(32, channels, 6, 6)).getNDArrayInternal().relu()
                    .mul(manager.create(scale).reshape(1, channels, 1, 1));
            double[] balanced = perChannelError(quantize(x, ChannelBalancedQuantizer.Objective.CHANNEL_BALANCED, manager), x);
            double[] plain = perChannelError(quantize(x, ChannelBalancedQuantizer.Objective.MSE, manager), x);
            int better = 0;
            for (int c = 0; c < channels; c++) {
                better += balanced[c] < plain[c] ? 1 : 0;
            }
            Assert.assertTrue(better > channels / 2, better + " of " + channels + " channels");
        }
    }

    private static NDArray quantize(NDArray x, ChannelBalancedQuantizer.Objective objective, NDManager manager) {
        ChannelBalancedQuantizer q = ChannelBalancedQuantizer.builder().setBits(4).optObjective(objective).build();
        q.initialize(manager, DataType.FLOAT32, x.getShape());
        q.setDeployMode(true);
        return q.quantize(new ParameterStore(manager, false), x, false);
    }

    private static double[] perChannelError(NDArray q, NDArray x) {
        NDArray err = x.sub(q).square().sum(new int[] {0, 2, 3});
        NDArray energy = x.square().sum(new int[] {0, 2, 3});
        float[] e = err.div(energy).toFloatArray();
        double[] out = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            out[i] = e[i];
        }
        return out;
    }
}
