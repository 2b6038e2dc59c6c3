package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.quant.quantizers.QuantizerTesting;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ResumableAdamTest {

    private static final Shape INPUT = new Shape(8, 5);

    private static Block mlp() {
        return new SequentialBlock().add(Linear.builder().setUnits(6).build()).add(Linear.builder().setUnits(3).build());
    }

    /** Runs {@code steps} updates on fixed data and returns the first weight matrix afterwards. */
    private static float[] train(Model model, Optimizer optimizer, NDList x, NDList y, int steps) {
        try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer))) {
            trainer.initialize(INPUT);
            for (int i = 0; i < steps; i++) {
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    gc.backward(trainer.getLoss().evaluate(y, trainer.forward(x)));
                }
                trainer.step();
            }
            return model.getBlock().getParameters().valueAt(0).getArray().toFloatArray();
        }
    }

    private static ResumableAdam adam(int done) {
        return ResumableAdam.builder().optLearningRateTracker(Tracker.fixed(0.01f)).optWeightDecays(1e-3f).optBeginNumUpdate(done).build();
    }

    @Test
    public void updatesAsDjlsAdam() {
        try (NDManager manager = NDManager.newBaseManager();
                Model ours = Model.newInstance("ours");
                Model djl = Model.newInstance("djl")) {
            manager.getEngine().setRandomSeed(5);
            NDList x = new NDList(manager.randomNormal(INPUT));
            NDList y = new NDList(manager.randomNormal(new Shape(8, 3)));
            for (Model m : new Model[] {ours, djl}) {
                manager.getEngine().setRandomSeed(1);
                m.setBlock(mlp());
                m.getBlock().initialize(m.getNDManager(), DataType.FLOAT32, INPUT);
            }
            Optimizer reference = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).optWeightDecays(1e-3f).build();
            QuantizerTesting.assertClose(train(ours, adam(0), x, y, 6), train(djl, reference, x, y, 6));
        }
    }

    @Test
    public void aResumedRunContinuesWithTheSameMoments(/* and without them it does not */) throws Exception {
        Path dir = Files.createTempDirectory("adam-state");
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            NDList x = new NDList(manager.randomNormal(INPUT));
            NDList y = new NDList(manager.randomNormal(new Shape(8, 3)));
            Checkpoints checkpoints = new Checkpoints(dir, "mlp");
            float[] straight;
            try (Model model = Model.newInstance("mlp")) {
                manager.getEngine().setRandomSeed(1);
                model.setBlock(mlp());
                model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, INPUT);
                ResumableAdam adam = adam(0);
                train(model, adam, x, y, 5);
                checkpoints.save(model, 1, Double.NaN, adam);
                straight = train(model, adam, x, y, 4); // the same optimizer carries on
            }
            float[][] resumed = new float[2][];
            for (int withState = 0; withState < 2; withState++) {
                try (Model model = Model.newInstance("mlp")) {
                    model.setBlock(mlp());
                    model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, INPUT);
                    checkpoints.load(model, 1);
                    ResumableAdam adam = adam(5);
                    if (withState == 1) {
                        Assert.assertTrue(checkpoints.loadOptimizer(1, model.getBlock(), adam));
                    }
                    resumed[withState] = train(model, adam, x, y, 4);
                }
            }
            QuantizerTesting.assertClose(resumed[1], straight);
            double gap = 0;
            for (int i = 0; i < straight.length; i++) {
                gap = Math.max(gap, Math.abs(resumed[0][i] - straight[i]));
            }
            Assert.assertTrue(gap > 1e-3, "fresh moments should change the updates; max difference " + gap);
        }
    }

    @Test
    public void aStateOfAnotherArchitectureIsRefusedWithTheParameterNamed() throws Exception {
        Path file = Files.createTempFile("adam", ".ndlist");
        try (Model small = Model.newInstance("small");
                Model other = Model.newInstance("other")) {
            small.setBlock(mlp());
            small.getBlock().initialize(small.getNDManager(), DataType.FLOAT32, INPUT);
            ResumableAdam adam = adam(0);
            try (NDManager m = NDManager.newBaseManager()) {
                train(small, adam, new NDList(m.ones(INPUT)), new NDList(m.ones(new Shape(8, 3))), 1);
            }
            adam.saveState(small.getBlock(), file);
            other.setBlock(new SequentialBlock().add(Linear.builder().setUnits(7).build()).add(Linear.builder().setUnits(3).build()));
            other.getBlock().initialize(other.getNDManager(), DataType.FLOAT32, INPUT);
            IllegalStateException e = Assert.expectThrows(IllegalStateException.class, () -> adam(0).loadState(other.getBlock(), file));
            Assert.assertTrue(e.getMessage().contains("01Linear_weight") || e.getMessage().contains("Linear"), e.getMessage());
            Files.write(file, new byte[] {1, 2, 3});
            Assert.expectThrows(java.io.IOException.class, () -> adam(0).loadState(small.getBlock(), file));
        }
    }
}
