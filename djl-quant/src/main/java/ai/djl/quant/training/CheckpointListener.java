package ai.djl.quant.training;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Saves a checkpoint after every epoch, numbering epochs from a starting point (for resumes), with
 * the cumulative training time (the time before a resume is read from the checkpoint resumed) and,
 * when given one, the state of a {@link ResumableAdam}.
 */
public class CheckpointListener extends TrainingListenerAdapter {

    private final Checkpoints checkpoints;
    private final ResumableAdam optimizer;
    private int epoch;
    private final double secondsBefore;
    private long start;

    /**
     * Creates the listener.
     *
     * @param checkpoints where to save
     * @param completedEpochs epochs already done before this training (0 for a fresh run)
     */
    public CheckpointListener(Checkpoints checkpoints, int completedEpochs) {
        this(checkpoints, completedEpochs, null);
    }

    /**
     * Creates the listener, saving the optimizer's state with each checkpoint.
     *
     * @param checkpoints where to save
     * @param completedEpochs epochs already done before this training (0 for a fresh run)
     * @param optimizer the training's optimizer, or null
     */
    public CheckpointListener(Checkpoints checkpoints, int completedEpochs, ResumableAdam optimizer) {
        this.checkpoints = checkpoints;
        this.optimizer = optimizer;
        this.epoch = completedEpochs;
        try {
            this.secondsBefore = completedEpochs == 0 ? 0 : checkpoints.seconds(completedEpochs);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the checkpoint of epoch " + completedEpochs, e);
        }
        this.start = System.nanoTime();
    }

    @Override
    public void onTrainingBegin(Trainer trainer) {
        start = System.nanoTime();
    }

    @Override
    public void onEpoch(Trainer trainer) {
        epoch++;
        try {
            checkpoints.save(trainer.getModel(), epoch, secondsBefore + (System.nanoTime() - start) / 1e9, optimizer);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot save the checkpoint of epoch " + epoch, e);
        }
    }
}
