package ai.djl.quant.training;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Saves a checkpoint after every epoch, numbering epochs from a starting point (for resumes). */
public class CheckpointListener extends TrainingListenerAdapter {

    private final Checkpoints checkpoints;
    private int epoch;

    /**
     * Creates the listener.
     *
     * @param checkpoints where to save
     * @param completedEpochs epochs already done before this training (0 for a fresh run)
     */
    public CheckpointListener(Checkpoints checkpoints, int completedEpochs) {
        this.checkpoints = checkpoints;
        this.epoch = completedEpochs;
    }

    @Override
    public void onEpoch(Trainer trainer) {
        epoch++;
        try {
            checkpoints.save(trainer.getModel(), epoch);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot save the checkpoint of epoch " + epoch, e);
        }
    }
}
