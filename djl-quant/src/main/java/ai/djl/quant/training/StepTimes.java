package ai.djl.quant.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The timed training steps of a {@link StepTimer} run, kept by model and turn, and the two ways
 * to compare models from them:
 *
 * <ul>
 *   <li>{@link #medianSeconds()}: each model's median step over all its turns, and their ratio;
 *   <li>{@link #pairedRatio}: the median over the model's turns of {@code t(turn) / ref(at)}, with
 *       {@code t} the turn's median step and {@code ref(at)} the reference's median step at the
 *       turn's time, interpolated linearly between the reference's turns just before and just after
 *       it (the nearest one before the first or after the last). A machine whose speed drifts over
 *       tens of seconds (a shared VM) moves a model and the interpolated reference alike, so the
 *       ratio cancels the drift to first order, however many models take turns in between; the
 *       ratio of medians compares steps taken up to a whole run apart.
 * </ul>
 *
 * A median here is the middle element of the sorted values, the upper one of two for an even
 * count.
 */
public final class StepTimes {

    private final Map<String, List<Turn>> turns;

    /**
     * One model's turn: when it ran and the steps timed in it.
     *
     * @param at the turn's middle, in seconds from any fixed origin shared by all turns
     * @param seconds the timed steps' durations, at least one
     */
    public record Turn(double at, List<Double> seconds) {

        /**
         * Validates and copies.
         *
         * @param at the turn's middle, in seconds
         * @param seconds the timed steps' durations, at least one
         */
        public Turn {
            if (seconds.isEmpty()) {
                throw new IllegalArgumentException("a turn needs at least one timed step");
            }
            seconds = List.copyOf(seconds);
        }

        double median() {
            return StepTimes.median(seconds);
        }
    }

    /**
     * Creates the record.
     *
     * @param turns by model, in the order timed: its turns, in any order
     */
    public StepTimes(Map<String, List<Turn>> turns) {
        this.turns = new LinkedHashMap<>();
        turns.forEach((name, list) -> {
            List<Turn> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingDouble(Turn::at));
            this.turns.put(name, List.copyOf(sorted));
        });
    }

    /**
     * Returns each model's median step time over all its timed steps.
     *
     * @return seconds per step, by name, in the order timed
     */
    public Map<String, Double> medianSeconds() {
        Map<String, Double> medians = new LinkedHashMap<>();
        turns.forEach((name, list) -> medians.put(name, median(list.stream().flatMap(t -> t.seconds().stream()).toList())));
        return medians;
    }

    /**
     * Returns the median over the model's turns of its median step divided by the reference's,
     * interpolated to the turn's time.
     *
     * @param model the model's name
     * @param reference the reference's name (e.g. fp32)
     * @return the paired ratio
     */
    public double pairedRatio(String model, String reference) {
        List<Turn> ref = turnsOf(reference);
        List<Double> ratios = new ArrayList<>();
        for (Turn turn : turnsOf(model)) {
            ratios.add(turn.median() / referenceAt(ref, turn.at()));
        }
        return median(ratios);
    }

    private static double referenceAt(List<Turn> ref, double at) {
        int after = 0;
        while (after < ref.size() && ref.get(after).at() < at) {
            after++;
        }
        if (after == ref.size()) {
            return ref.get(after - 1).median();
        }
        Turn next = ref.get(after);
        if (after == 0 || next.at() == at) {
            return next.median();
        }
        Turn previous = ref.get(after - 1);
        double w = (at - previous.at()) / (next.at() - previous.at());
        return previous.median() + w * (next.median() - previous.median());
    }

    private List<Turn> turnsOf(String name) {
        List<Turn> list = turns.get(name);
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException("no timed turns of " + name + "; timed: " + turns.keySet());
        }
        return list;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
