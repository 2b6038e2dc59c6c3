package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ChannelBalancedQuantizerTest {

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
