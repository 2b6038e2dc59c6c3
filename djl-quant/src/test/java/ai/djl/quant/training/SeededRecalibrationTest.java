package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.quant.TestModels;
import ai.djl.training.dataset.ArrayDataset;
import org.testng.Assert;
import org.testng.annotations.Test;

public class SeededRecalibrationTest {

    @Test
    public void aSeedDrawsTheSameBatchesEveryRunAndAnotherSeedOthers() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = TestModels.twoBatchNorms(manager, 3);
            // 64 examples whose means differ, so that 2 batches of 8 see a different mean per draw
            NDArray x = manager.randomNormal(new Shape(64, 1, 8, 8)).add(manager.arange(64f).reshape(64, 1, 1, 1));
            ArrayDataset pool = new ArrayDataset.Builder().setData(x).optLabels(manager.zeros(new Shape(64)))
                    .setSampling(8, false).build();
            SeededRecalibration seven = SeededRecalibration.builder().setPool(pool, 8).setBatches(2).optSeed(7).build();

            Assert.assertEquals(seven.getSeed(), 7);
            Assert.assertEquals(seven.run(net, manager), 2);
            float[] first = statistics(net);
            manager.getEngine().setRandomSeed(99); // the process-wide generator plays no part
            seven.run(net, manager);
            Assert.assertEquals(statistics(net), first, "the same seed, the same batches");
            SeededRecalibration.builder().setPool(pool, 8).setBatches(2).optSeed(7).build().run(net, manager);
            Assert.assertEquals(statistics(net), first, "a new recalibration with the seed draws them too");
            SeededRecalibration.builder().setPool(pool, 8).setBatches(2).optSeed(8).build().run(net, manager);
            Assert.assertNotEquals(statistics(net)[0], first[0], "another seed, other batches");
            // all the pool in every draw: the order no longer matters
            SeededRecalibration.builder().setPool(pool, 8).setBatches(8).optSeed(7).build().run(net, manager);
            float[] all = statistics(net);
            SeededRecalibration.builder().setPool(pool, 8).setBatches(8).optSeed(8).build().run(net, manager);
            Assert.assertEquals(statistics(net), all, 1e-3f);
        }
    }

    @Test
    public void refusesAMissingPoolOrNoBatches() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset pool = new ArrayDataset.Builder().setData(manager.ones(new Shape(4, 1, 2, 2)))
                    .optLabels(manager.zeros(new Shape(4))).setSampling(2, false).build();
            Assert.assertThrows(IllegalArgumentException.class, () -> SeededRecalibration.builder().setBatches(2).build());
            IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class,
                    () -> SeededRecalibration.builder().setPool(pool, 2).build());
            Assert.assertTrue(e.getMessage().contains("setBatches"), e.getMessage());
            Assert.assertThrows(IllegalArgumentException.class, () -> SeededRecalibration.builder().setPool(pool, 0).setBatches(1).build());
        }
    }

    /** Both BatchNorms' running means, then their running variances. */
    private static float[] statistics(SequentialBlock net) {
        float[] first = net.getChildren().get(1).getValue().getParameters().get("runningMean").getArray().toFloatArray();
        float[] second = net.getChildren().get(4).getValue().getParameters().get("runningMean").getArray().toFloatArray();
        float[] var = net.getChildren().get(4).getValue().getParameters().get("runningVar").getArray().toFloatArray();
        float[] all = new float[first.length + second.length + var.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        System.arraycopy(var, 0, all, first.length + second.length, var.length);
        return all;
    }
}
