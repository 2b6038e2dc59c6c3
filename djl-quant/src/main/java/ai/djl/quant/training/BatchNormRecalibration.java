package ai.djl.quant.training;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * Re-estimates the running statistics of every BatchNorm of a model after its weights changed, as
 * after post-training quantization: forward passes in training mode, without gradients, so each
 * BatchNorm's running mean and variance move towards the statistics of the new pre-activations
 * ({@code running ← m·running + (1-m)·batch}, DJL's momentum m = 0.9, so 30 batches leave 4 % of
 * the old values). Quantized weights whose levels are systematically larger than the float ones
 * (ceiling rounding) shift every channel's statistics; without this the frozen statistics
 * compound the shift layer after layer.
 *
 * <p>Training-mode forward passes also calibrate quantizers that have not been calibrated yet and
 * update nothing else: no parameter receives a gradient.
 */
public final class BatchNormRecalibration {

    private BatchNormRecalibration() {}

    /**
     * Runs {@code batches} training-mode forward passes over {@code data}.
     *
     * @param block the model (its BatchNorms anywhere in the tree)
     * @param manager the manager of the model's parameters
     * @param data the data (training data: the test set must stay unseen)
     * @param batches how many batches, at least 1 (fewer if the data runs out)
     * @return the number of batches used
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static int run(Block block, NDManager manager, Dataset data, int batches) throws IOException, TranslateException {
        if (batches < 1) {
            throw new IllegalArgumentException("BatchNorm re-estimation needs at least one batch, got " + batches);
        }
        int used = 0;
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            for (Batch batch : data.getData(scope)) {
                try (batch) {
                    block.forward(store, batch.getData(), true);
                }
                if (++used == batches) {
                    break;
                }
            }
        }
        if (used == 0) {
            throw new IllegalArgumentException("BatchNorm re-estimation: the data set is empty");
        }
        return used;
    }
}
