package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times training steps (forward, backward, optimizer update on random data) of several models in
 * one run, taking turns: each round runs a few steps of every model, so that a machine that gets
 * busier or quieter during the run slows all of them alike, and reports each model's median step.
 * Timing the models one after another let a ratio move by ±0.1 between runs on a shared 2-core
 * machine; taken in turns, four runs of one build gave LSQ W4A4 ratios of 1.39 to 1.49. {@link
 * #time} keeps every timed step by turn, for ratios paired in time ({@link StepTimes}).
 *
 * <pre>{@code
 * try (StepTimer timer = new StepTimer(new Shape(64, 1, 28, 28), 10)) {
 *     timer.add("fp32", fp32Model, sgd);
 *     timer.add("LSQ W4A4", wrappedModel, QuantizationOptimizer.of(network, sgd, lr));
 *     Map<String, Double> seconds = timer.medianSeconds(2, 8, 4);
 * }
 * }</pre>
 */
public final class StepTimer implements AutoCloseable {

    private final Shape batch;
    private final int classes;
    private final Map<String, Trainer> trainers = new LinkedHashMap<>();
    private final Map<String, Runnable> beforeTurns = new LinkedHashMap<>();

    /**
     * Creates a timer.
     *
     * @param batch the shape of one input batch
     * @param classes the number of classes of the random labels
     */
    public StepTimer(Shape batch, int classes) {
        this.batch = batch;
        this.classes = classes;
    }

    /**
     * Adds a model, with a trainer of its own (closed with this timer).
     *
     * @param name the name its time is reported under
     * @param model the model
     * @param optimizer its optimizer
     */
    public void add(String name, Model model, Optimizer optimizer) {
        add(name, model, optimizer, () -> {});
    }

    /**
     * Adds a model that needs a setting of its own while it runs, e.g. a system property that
     * selects a code path, so that two paths of the same code can be timed in one run.
     *
     * @param name the name its time is reported under
     * @param model the model
     * @param optimizer its optimizer
     * @param beforeEachTurn run before each of this model's turns (and before its trainer is initialised)
     */
    public void add(String name, Model model, Optimizer optimizer, Runnable beforeEachTurn) {
        TensorMemory.keepFreed(); // time the steps as training runs them
        beforeEachTurn.run();
        Trainer trainer = model.newTrainer(ClassifierTraining.config(optimizer, false));
        trainer.initialize(batch);
        trainers.put(name, trainer);
        beforeTurns.put(name, beforeEachTurn);
    }

    /**
     * Runs {@code warmupRounds + rounds} rounds of {@code stepsPerRound} steps of every model in
     * turn and returns each model's median step time over the timed rounds; the first step of each
     * turn is not timed (it pays for the switch from the other models' memory).
     *
     * @param warmupRounds untimed rounds
     * @param rounds timed rounds
     * @param stepsPerRound steps per model and round, at least 2
     * @return seconds per step, by name, in the order added
     */
    public Map<String, Double> medianSeconds(int warmupRounds, int rounds, int stepsPerRound) {
        return time(warmupRounds, rounds, stepsPerRound).medianSeconds();
    }

    /**
     * Runs {@code warmupRounds + rounds} rounds of {@code stepsPerRound} steps of every model in
     * turn, as {@link #medianSeconds}, and returns every timed step by model and turn, with the
     * turn's time, for {@link StepTimes#pairedRatio paired ratios}.
     *
     * @param warmupRounds untimed rounds
     * @param rounds timed rounds, at least 1
     * @param stepsPerRound steps per model and round, at least 2
     * @return the timed steps
     */
    public StepTimes time(int warmupRounds, int rounds, int stepsPerRound) {
        if (stepsPerRound < 2) {
            throw new IllegalArgumentException("stepsPerRound must be at least 2, got " + stepsPerRound);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        }
        Map<String, List<StepTimes.Turn>> samples = new LinkedHashMap<>();
        long origin = System.nanoTime();
        for (int round = 0; round < warmupRounds + rounds; round++) {
            for (Map.Entry<String, Trainer> e : trainers.entrySet()) {
                beforeTurns.get(e.getKey()).run();
                List<Double> turn = new ArrayList<>();
                long timedFrom = 0;
                for (int i = 0; i < stepsPerRound; i++) {
                    long start = System.nanoTime();
                    timedFrom = i == 1 ? start : timedFrom;
                    step(e.getValue());
                    if (i > 0) {
                        turn.add((System.nanoTime() - start) / 1e9);
                    }
                }
                if (round >= warmupRounds) {
                    double at = ((timedFrom - origin) + (System.nanoTime() - origin)) / 2e9; // the timed steps' middle
                    samples.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new StepTimes.Turn(at, turn));
                }
            }
        }
        return new StepTimes(samples);
    }

    /**
     * Runs training steps of one model, untimed, with its turn's setting applied first: for
     * warm-up, or inside an {@link OperatorProfile#record} of where those steps spend their time.
     *
     * @param name the name the model was added under
     * @param count the number of steps
     */
    public void steps(String name, int count) {
        Trainer trainer = trainers.get(name);
        if (trainer == null) {
            throw new IllegalArgumentException("no model named " + name + " was added; added: " + trainers.keySet());
        }
        beforeTurns.get(name).run();
        for (int i = 0; i < count; i++) {
            step(trainer);
        }
    }

    /** One training step on random data; eager CPU execution, so its work is done on return. */
    private void step(Trainer trainer) {
        // one manager per step, as a Batch has: everything the step creates is freed
        try (NDManager step = trainer.getManager().newSubManager()) {
            NDList x = new NDList(step.randomNormal(batch));
            NDList y = new NDList(step.randomInteger(0, classes, new Shape(batch.get(0)), DataType.INT32)
                    .toType(DataType.FLOAT32, false));
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList out = trainer.forward(x, y);
                gc.backward(trainer.getLoss().evaluate(y, out));
            }
            trainer.step();
        }
    }

    @Override
    public void close() {
        trainers.values().forEach(Trainer::close);
        trainers.clear();
        beforeTurns.clear();
    }
}
