package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.TestModels;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import org.testng.Assert;
import org.testng.annotations.Test;

public class SequentialBatchNormRecalibrationTest {

    @Test
    public void eachBatchNormGetsTheStatisticsOfItsInferenceModeInput() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = TestModels.twoBatchNorms(manager, 5);
            NDArray x = manager.randomNormal(new Shape(64, 1, 8, 8)).mul(3).add(1);
            ArrayDataset data = new ArrayDataset.Builder().setData(x).optLabels(manager.zeros(new Shape(64)))
                    .setSampling(8, false).build();
            Block firstNorm = net.getChildren().get(1).getValue();
            Block secondNorm = net.getChildren().get(4).getValue();

            Assert.assertEquals(SequentialBatchNormRecalibration.run(net, manager, data, 100), 2);

            Assert.assertSame(net.getChildren().get(1).getValue(), firstNorm, "the tree is restored");
            Assert.assertSame(net.getChildren().get(4).getValue(), secondNorm, "the tree is restored");
            // the inputs each BatchNorm sees in inference mode, computed layer by layer from all 64 samples
            ParameterStore store = new ParameterStore(manager, false);
            NDArray in1 = net.getChildren().get(0).getValue().forward(store, new NDList(x), false).head();
            assertStatistics(firstNorm, in1);
            NDArray in2 = in1;
            for (int i = 1; i <= 3; i++) {
                in2 = net.getChildren().get(i).getValue().forward(store, new NDList(in2), false).head();
            }
            assertStatistics(secondNorm, in2);
            // so the model's inference-mode output is standardised on this data (gamma 1, beta 0)
            NDArray y = net.forward(store, new NDList(x), false).head().transpose(1, 0, 2, 3).reshape(3, -1);
            Assert.assertEquals(y.mean(new int[] {1}).toFloatArray(), new float[3], 1e-3f);
        }
    }

    @Test
    public void refusesWhatItCannotDo() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            TestModels.FieldBlock net = new TestModels.FieldBlock("norm", BatchNorm.builder().build());
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 4, 4));
            ArrayDataset data = new ArrayDataset.Builder().setData(manager.ones(new Shape(4, 3, 4, 4)))
                    .optLabels(manager.zeros(new Shape(4))).setSampling(2, false).build();
            UnsupportedOperationException e = Assert.expectThrows(UnsupportedOperationException.class,
                    () -> SequentialBatchNormRecalibration.run(net, manager, data, 2));
            Assert.assertTrue(e.getMessage().contains("norm") && e.getMessage().contains("BatchNormRecalibration.run"), e.getMessage());
            SequentialBlock plain = new SequentialBlock().add(BatchNorm.builder().build());
            plain.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 4, 4));
            Assert.expectThrows(IllegalArgumentException.class, () -> SequentialBatchNormRecalibration.run(plain, manager, data, 0));
            Assert.assertSame(plain.getChildren().get(0).getValue().getClass(), BatchNorm.class, "the tree is restored after a failure");
        }
    }

    private static void assertStatistics(Block norm, NDArray input) {
        long channels = input.getShape().get(1);
        NDArray perChannel = input.transpose(1, 0, 2, 3).reshape(channels, -1);
        NDArray mean = perChannel.mean(new int[] {1});
        long n = perChannel.getShape().get(1);
        float[] variance = perChannel.sub(mean.reshape(channels, 1)).square().sum(new int[] {1}).div(n - 1).toFloatArray();
        Assert.assertEquals(norm.getParameters().get("runningMean").getArray().toFloatArray(), mean.toFloatArray(), 1e-4f);
        float[] running = norm.getParameters().get("runningVar").getArray().toFloatArray();
        for (int c = 0; c < channels; c++) {
            Assert.assertEquals(running[c], variance[c], 1e-4f * variance[c]);
        }
    }
}
