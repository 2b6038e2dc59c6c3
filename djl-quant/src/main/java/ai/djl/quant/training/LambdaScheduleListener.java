package ai.djl.quant.training;

import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.ArrayList;
import java.util.List;

/**
 * Sets λ of every {@link ShiftQuantizer} of a wrapped model from a {@link LambdaSchedule}, at the
 * start of training, after each epoch and (for per-step schedules) after each batch.
 */
public class LambdaScheduleListener extends TrainingListenerAdapter {

    private final List<ShiftQuantizer> quantizers = new ArrayList<>();
    private final LambdaSchedule schedule;
    private final int stepsPerEpoch;
    private int epoch;
    private int step;

    /**
     * Creates the listener.
     *
     * @param network the wrapped model
     * @param schedule the schedule
     * @param stepsPerEpoch batches per epoch (used by per-step schedules)
     */
    public LambdaScheduleListener(QuantizedNetwork network, LambdaSchedule schedule, int stepsPerEpoch) {
        this(network, schedule, stepsPerEpoch, 0);
    }

    /**
     * Creates the listener for a run resumed after {@code completedEpochs}.
     *
     * @param network the wrapped model
     * @param schedule the schedule
     * @param stepsPerEpoch batches per epoch (used by per-step schedules)
     * @param completedEpochs epochs done before
     */
    public LambdaScheduleListener(QuantizedNetwork network, LambdaSchedule schedule, int stepsPerEpoch, int completedEpochs) {
        for (Quantizer q : network.getQuantizers()) {
            if (q instanceof ShiftQuantizer shift) {
                quantizers.add(shift);
            }
        }
        this.schedule = schedule;
        this.stepsPerEpoch = Math.max(1, stepsPerEpoch);
        this.epoch = completedEpochs;
        apply();
    }

    /**
     * Returns λ now.
     *
     * @return the current λ
     */
    public float currentLambda() {
        return schedule.lambda(epoch + (double) step / stepsPerEpoch);
    }

    private void apply() {
        float lambda = currentLambda();
        for (ShiftQuantizer q : quantizers) {
            q.setLambda(lambda);
        }
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        step = Math.min(step + 1, stepsPerEpoch - 1);
        if (schedule.perStep()) {
            apply();
        }
    }

    @Override
    public void onEpoch(Trainer trainer) {
        epoch++;
        step = 0;
        apply();
    }
}
