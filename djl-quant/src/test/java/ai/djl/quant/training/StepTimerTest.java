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

    private static float firstWeight(Model model) {
        return model.getBlock().getParameters().get(0).getValue().getArray().getFloat(0, 0);
    }

    /** A timer over models "a" and "b" whose settings append their name to {@code turns}. */
    private static StepTimer recordingTurns(Model a, Model b, StringBuilder turns) {
        StepTimer timer = new StepTimer(new Shape(8, 1, 4, 4), 3);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        timer.add("a", a, sgd, () -> turns.append('a'));
        timer.add("b", b, sgd, () -> turns.append('b'));
        return timer;
    }

    @Test
    public void reportsAMedianPerModelInTheOrderAddedAndTrainsThem() {
        try (Model small = mlp(4);
                Model large = mlp(512);
                StepTimer timer = new StepTimer(new Shape(32, 1, 8, 8), 3)) {
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            timer.add("small", small, sgd);
            timer.add("large", large, sgd);
            float before = firstWeight(small);
            Map<String, Double> seconds = timer.medianSeconds(1, 3, 2);
            Assert.assertEquals(List.copyOf(seconds.keySet()), List.of("small", "large"));
            seconds.values().forEach(s -> Assert.assertTrue(s > 0 && s < 10, "seconds " + s));
            float after = firstWeight(small);
            Assert.assertNotEquals(after, before, "the steps update the weights");
            StepTimes times = timer.time(0, 2, 3);
            Assert.assertEquals(times.pairedRatio("small", "small"), 1.0);
            double paired = times.pairedRatio("large", "small");
            Assert.assertTrue(paired > 0 && Double.isFinite(paired), "paired " + paired);
        }
    }

    @Test
    public void eachModelsSettingRunsBeforeEachOfItsTurns() {
        StringBuilder turns = new StringBuilder();
        try (Model a = mlp(4);
                Model b = mlp(4);
                StepTimer timer = recordingTurns(a, b, turns)) {
            timer.medianSeconds(1, 2, 2);
            Assert.assertEquals(turns.toString(), "ab" + "ab".repeat(3), "once when added, then once per round");
        }
    }

    @Test
    public void stepsRunsOneModelAfterItsSetting() {
        StringBuilder turns = new StringBuilder();
        try (Model a = mlp(4);
                Model b = mlp(4);
                StepTimer timer = recordingTurns(a, b, turns)) {
            float before = firstWeight(b);
            float untouched = firstWeight(a);
            timer.steps("b", 2);
            Assert.assertEquals(turns.toString(), "abb", "b's setting, once, before its steps");
            Assert.assertNotEquals(firstWeight(b), before);
            Assert.assertEquals(firstWeight(a), untouched);
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
