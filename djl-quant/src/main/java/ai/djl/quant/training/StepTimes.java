package ai.djl.quant.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The timed training steps of a {@link StepTimer} run, kept by model and round, and the two ways
 * to compare models from them:
 *
 * <ul>
 *   <li>{@link #medianSeconds()}: each model's median step over all rounds, and their ratio;
 *   <li>{@link #pairedRatio}: the median over rounds of {@code t_r(model) / t_r(reference)}, with
 *       {@code t_r} a model's median step in round {@code r}. A model and its reference run seconds
 *       apart within a round, so a machine whose speed drifts over tens of seconds (a shared VM)
 *       moves both alike and the ratio cancels it; the ratio of medians compares steps taken up to a
 *       whole run apart.
 * </ul>
 *
 * A median here is the middle element of the sorted values, the upper one of two for an even
 * count.
 */
public final class StepTimes {

    private final Map<String, List<List<Double>>> rounds;

    /**
     * Creates the record.
     *
     * @param rounds by model, in the order timed: per timed round, that round's step seconds
     */
    public StepTimes(Map<String, List<List<Double>>> rounds) {
        this.rounds = new LinkedHashMap<>();
        rounds.forEach((name, list) -> {
            List<List<Double>> copy = new ArrayList<>();
            list.forEach(round -> {
                if (round.isEmpty()) {
                    throw new IllegalArgumentException(name + " has a round without timed steps");
                }
                copy.add(List.copyOf(round));
            });
            this.rounds.put(name, copy);
        });
    }

    /**
     * Returns each model's median step time over all its timed steps.
     *
     * @return seconds per step, by name, in the order timed
     */
    public Map<String, Double> medianSeconds() {
        Map<String, Double> medians = new LinkedHashMap<>();
        rounds.forEach((name, list) -> medians.put(name, median(list.stream().flatMap(List::stream).toList())));
        return medians;
    }

    /**
     * Returns the median over rounds of the model's median step divided by the reference's in the
     * same round.
     *
     * @param model the model's name
     * @param reference the reference's name (e.g. fp32)
     * @return the paired ratio
     */
    public double pairedRatio(String model, String reference) {
        List<List<Double>> m = roundsOf(model);
        List<List<Double>> r = roundsOf(reference);
        if (m.size() != r.size()) {
            throw new IllegalArgumentException(model + " has " + m.size() + " timed rounds but " + reference + " has " + r.size());
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            ratios.add(median(m.get(i)) / median(r.get(i)));
        }
        return median(ratios);
    }

    private List<List<Double>> roundsOf(String name) {
        List<List<Double>> list = rounds.get(name);
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException("no timed rounds of " + name + "; timed: " + rounds.keySet());
        }
        return list;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
