package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import java.util.Map;
import org.testng.Assert;
import org.testng.annotations.Test;

public class StepTimerTest {

    private static Model mlp(int hidden) {
        Model model = Model.newInstance("mlp-" + hidden);
        model.setBlock(new SequentialBlock().add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(hidden).build()).add(Linear.builder().setUnits(3).build()));
        return model;
    }

    @Test
    public void reportsAMedianPerModelInTheOrderAddedAndTrainsThem() {
        try (Model small = mlp(4);
                Model large = mlp(512);
                StepTimer timer = new StepTimer(new Shape(32, 1, 8, 8), 3)) {
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            timer.add("small", small, sgd);
            timer.add("large", large, sgd);
            float before = small.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0);
            Map<String, Double> seconds = timer.medianSeconds(1, 3, 2);
            Assert.assertEquals(List.copyOf(seconds.keySet()), List.of("small", "large"));
            seconds.values().forEach(s -> Assert.assertTrue(s > 0 && s < 10, "seconds " + s));
            float after = small.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0);
            Assert.assertNotEquals(after, before, "the steps update the weights");
            StepTimes times = timer.time(0, 2, 3);
            Assert.assertEquals(times.pairedRatio("small", "small"), 1.0);
            double paired = times.pairedRatio("large", "small");
            Assert.assertTrue(paired > 0 && Double.isFinite(paired), "paired " + paired);
        }
    }

    @Test
    public void eachModelsSettingRunsBeforeEachOfItsTurns() {
        try (Model a = mlp(4);
                Model b = mlp(4);
                StepTimer timer = new StepTimer(new Shape(8, 1, 4, 4), 3)) {
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            StringBuilder turns = new StringBuilder();
            timer.add("a", a, sgd, () -> turns.append('a'));
            timer.add("b", b, sgd, () -> turns.append('b'));
            timer.medianSeconds(1, 2, 2);
            Assert.assertEquals(turns.toString(), "ab" + "ab".repeat(3), "once when added, then once per round");
        }
    }

    @Test
    public void stepsRunsOneModelAfterItsSetting() {
        try (Model a = mlp(4);
                Model b = mlp(4);
                StepTimer timer = new StepTimer(new Shape(8, 1, 4, 4), 3)) {
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            StringBuilder turns = new StringBuilder();
            timer.add("a", a, sgd, () -> turns.append('a'));
            timer.add("b", b, sgd, () -> turns.append('b'));
            float before = b.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0);
            float untouched = a.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0);
            timer.steps("b", 2);
            Assert.assertEquals(turns.toString(), "abb", "b's setting, once, before its steps");
            Assert.assertNotEquals(b.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0), before);
            Assert.assertEquals(a.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0), untouched);
            IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class, () -> timer.steps("c", 1));
            Assert.assertTrue(e.getMessage().contains("[a, b]"), e.getMessage());
        }
    }

    @Test
    public void needsTwoStepsPerTurn() {
        try (StepTimer timer = new StepTimer(new Shape(2, 4), 3)) {
            Assert.expectThrows(IllegalArgumentException.class, () -> timer.medianSeconds(0, 1, 1));
            Assert.expectThrows(IllegalArgumentException.class, () -> timer.time(1, 0, 2));
        }
    }
}
