package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import org.testng.Assert;
import org.testng.annotations.Test;

public class BatchNormRecalibrationTest {

    @Test
    public void runningStatisticsFollowScaledWeights() throws Exception {
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
            Assert.assertEquals(BatchNormRecalibration.run(net, manager, data, 100), 8, "the data runs out after 8 batches");
            BatchNormRecalibration.run(net, manager, data, 8);
            BatchNormRecalibration.run(net, manager, data, 8);
            NDArray after = net.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            // 24 batches at momentum 0.9 leave 8 % of the old statistics
            Assert.assertEquals(rms(after), rms(before), 0.1f * rms(before));
            Assert.expectThrows(IllegalArgumentException.class, () -> BatchNormRecalibration.run(net, manager, data, 0));
        }
    }

    private static float rms(NDArray a) {
        return a.square().mean().sqrt().getFloat();
    }
}
