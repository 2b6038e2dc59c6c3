package ai.djl.quant.training;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testng.Assert;
import org.testng.annotations.Test;

public class StepTimesTest {

    private static StepTimes times() {
        Map<String, List<List<Double>>> rounds = new LinkedHashMap<>();
        // the machine is twice as slow in round 2: the reference doubles there too
        rounds.put("fp32", List.of(List.of(1.0, 1.1, 0.9), List.of(2.0, 2.2, 1.8), List.of(1.0, 1.0, 1.0)));
        rounds.put("quantized", List.of(List.of(1.2, 1.2, 1.2), List.of(2.4, 2.4, 9.0), List.of(1.3, 1.3, 1.3)));
        return new StepTimes(rounds);
    }

    @Test
    public void medianSecondsPoolsEveryRound() {
        Map<String, Double> medians = times().medianSeconds();
        Assert.assertEquals(List.copyOf(medians.keySet()), List.of("fp32", "quantized"));
        // sorted fp32: 0.9 1.0 1.0 1.0 1.0 1.1 1.8 2.0 2.2 → 1.0; quantized: 1.2×3 1.3×3 2.4 2.4 9 → 1.3
        Assert.assertEquals(medians.get("fp32"), 1.0);
        Assert.assertEquals(medians.get("quantized"), 1.3);
    }

    @Test
    public void pairedRatioIsTheMedianOfEachRoundsRatio() {
        // rounds: 1.2/1.0, 2.4/2.0, 1.3/1.0 → 1.2, 1.2, 1.3
        Assert.assertEquals(times().pairedRatio("quantized", "fp32"), 1.2, 1e-12);
        Assert.assertEquals(times().pairedRatio("fp32", "fp32"), 1.0, 1e-12);
    }

    @Test
    public void refusesUnknownModelsUnequalRoundsAndEmptyRounds() {
        IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class, () -> times().pairedRatio("int8", "fp32"));
        Assert.assertTrue(e.getMessage().contains("int8") && e.getMessage().contains("[fp32, quantized]"), e.getMessage());
        Map<String, List<List<Double>>> unequal = new LinkedHashMap<>();
        unequal.put("a", List.of(List.of(1.0)));
        unequal.put("b", List.of(List.of(1.0), List.of(1.0)));
        Assert.expectThrows(IllegalArgumentException.class, () -> new StepTimes(unequal).pairedRatio("b", "a"));
        Assert.expectThrows(IllegalArgumentException.class, () -> new StepTimes(Map.of("a", List.of(List.of()))));
    }
}
