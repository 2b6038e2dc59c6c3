package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import org.testng.Assert;
import org.testng.annotations.Test;

public class BatchNormRecalibrationTest {

    @Test
    public void runningStatisticsBecomeTheAverageOfTheBatchStatistics() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(3);
            SequentialBlock net = new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
                    .add(BatchNorm.builder().optMomentum(0.7f).build());
            net.initialize(manager, DataType.FLOAT32, new Shape(8, 1, 6, 6));
            // batches of very different scale, as an exponential average would weigh them unequally
            NDArray x = manager.randomNormal(new Shape(64, 1, 6, 6)).mul(manager.arange(64f).div(8).floor().add(1).reshape(64, 1, 1, 1));
            ArrayDataset data = new ArrayDataset.Builder().setData(x).optLabels(manager.zeros(new Shape(64)))
                    .setSampling(8, false).build();
            Assert.assertEquals(BatchNormRecalibration.run(net, manager, data, 100), 8, "the data runs out after 8 batches");

            Block conv = net.getChildren().get(0).getValue();
            float[] mean = new float[4];
            float[] variance = new float[4];
            for (int b = 0; b < 8; b++) {
                NDArray y = conv.forward(new ParameterStore(manager, false), new NDList(x.get(b * 8 + ":" + (b * 8 + 8))), false).head();
                NDArray perChannel = y.transpose(1, 0, 2, 3).reshape(4, -1);
                NDArray m = perChannel.mean(new int[] {1});
                // PyTorch keeps the unbiased variance of each batch
                long n = perChannel.getShape().get(1);
                NDArray v = perChannel.sub(m.reshape(4, 1)).square().sum(new int[] {1}).div(n - 1);
                float[] mb = m.toFloatArray();
                float[] vb = v.toFloatArray();
                for (int c = 0; c < 4; c++) {
                    mean[c] += mb[c] / 8;
                    variance[c] += vb[c] / 8;
                }
            }
            var params = net.getChildren().get(1).getValue().getParameters();
            Assert.assertEquals(params.get("runningMean").getArray().toFloatArray(), mean, 1e-4f);
            float[] running = params.get("runningVar").getArray().toFloatArray();
            for (int c = 0; c < 4; c++) {
                Assert.assertEquals(running[c], variance[c], 1e-4f * variance[c]);
            }
            Assert.expectThrows(IllegalArgumentException.class, () -> BatchNormRecalibration.run(net, manager, data, 0));
        }
    }

    @Test
    public void frozenStatisticsFollowScaledWeights() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(3);
            SequentialBlock net = new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
                    .add(BatchNorm.builder().build());
            net.initialize(manager, DataType.FLOAT32, new Shape(8, 1, 6, 6));
            NDArray x = manager.randomNormal(new Shape(64, 1, 6, 6));
            ArrayDataset data = new ArrayDataset.Builder().setData(x).optLabels(manager.zeros(new Shape(64)))
                    .setSampling(8, false).build();
            BatchNormRecalibration.run(net, manager, data, 8);
            NDArray before = net.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            // weights doubled (as a coarse quantization might): frozen statistics leave the output doubled
            NDArray w = net.getChildren().get(0).getValue().getParameters().get("weight").getArray();
            w.muli(2);
            NDArray frozen = net.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            Assert.assertTrue(rms(frozen) > 1.5f * rms(before));
            BatchNormRecalibration.run(net, manager, data, 8);
            NDArray after = net.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            Assert.assertEquals(rms(after), rms(before), 0.01f * rms(before));
        }
    }

    private static float rms(NDArray a) {
        return a.square().mean().sqrt().getFloat();
    }
}
