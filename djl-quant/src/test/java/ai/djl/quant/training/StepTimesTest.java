package ai.djl.quant.training;

import ai.djl.quant.training.StepTimes.Turn;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testng.Assert;
import org.testng.annotations.Test;

public class StepTimesTest {

    private static StepTimes twoModelsInRounds() {
        Map<String, List<Turn>> turns = new LinkedHashMap<>();
        // the machine is twice as slow in round 2: the reference doubles there too
        turns.put("fp32", List.of(new Turn(0, List.of(1.0, 1.1, 0.9)), new Turn(10, List.of(2.0, 2.2, 1.8)), new Turn(20, List.of(1.0, 1.0, 1.0))));
        turns.put("quantized", List.of(new Turn(1, List.of(1.2, 1.2, 1.2)), new Turn(11, List.of(2.4, 2.4, 9.0)), new Turn(21, List.of(1.3, 1.3, 1.3))));
        return new StepTimes(turns);
    }

    @Test
    public void medianSecondsPoolsEveryTurn() {
        Map<String, Double> medians = twoModelsInRounds().medianSeconds();
        Assert.assertEquals(List.copyOf(medians.keySet()), List.of("fp32", "quantized"));
        // sorted fp32: 0.9 1.0 1.0 1.0 1.0 1.1 1.8 2.0 2.2 → 1.0; quantized: 1.2×3 1.3×3 2.4 2.4 9 → 1.3
        Assert.assertEquals(medians.get("fp32"), 1.0);
        Assert.assertEquals(medians.get("quantized"), 1.3);
    }

    @Test
    public void pairedRatioInterpolatesTheReferenceToEachTurnsTime() {
        // reference at t=1: 1.0 + (2.0-1.0)·0.1 = 1.1; t=11: 2.0 + (1.0-2.0)·0.1 = 1.9; t=21: after the last, 1.0
        // ratios 1.2/1.1, 2.4/1.9, 1.3/1.0 = 1.0909, 1.2632, 1.3 → median 1.2632
        Assert.assertEquals(twoModelsInRounds().pairedRatio("quantized", "fp32"), 2.4 / 1.9, 1e-12);
        Assert.assertEquals(twoModelsInRounds().pairedRatio("fp32", "fp32"), 1.0, 1e-15, "a turn is its own reference");
    }

    @Test
    public void aDriftBetweenTurnsCancels() {
        // the machine slows down linearly; the model costs 1.15× the reference at every moment
        Map<String, List<Turn>> turns = new LinkedHashMap<>();
        turns.put("fp32", List.of(new Turn(0, List.of(1.0)), new Turn(30, List.of(1.3)), new Turn(60, List.of(1.6))));
        turns.put("late", List.of(new Turn(27, List.of(1.15 * 1.27)), new Turn(57, List.of(1.15 * 1.57))));
        Assert.assertEquals(new StepTimes(turns).pairedRatio("late", "fp32"), 1.15, 1e-12);
        // before the reference's first turn: the nearest one
        turns.put("early", List.of(new Turn(-5, List.of(2.0))));
        Assert.assertEquals(new StepTimes(turns).pairedRatio("early", "fp32"), 2.0, 1e-12);
    }

    @Test
    public void refusesUnknownModelsAndEmptyTurns() {
        IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class, () -> twoModelsInRounds().pairedRatio("int8", "fp32"));
        Assert.assertTrue(e.getMessage().contains("int8") && e.getMessage().contains("[fp32, quantized]"), e.getMessage());
        Assert.expectThrows(IllegalArgumentException.class, () -> new Turn(0, List.of()));
    }
}
