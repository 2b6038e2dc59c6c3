package ai.djl.quant.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * Forward passes without gradients or updates over the first batches of a data set, each batch's
 * arrays freed after its pass: what estimating statistics (BatchNorm, calibration) needs.
 */
public final class ForwardPasses {

    private ForwardPasses() {}

    /**
     * Gives the inputs of up to {@code batches} batches of {@code data}, one at a time, to {@code
     * pass}, with a parameter store that records no gradients.
     *
     * @param manager the manager whose sub-manager holds the batches
     * @param data the data
     * @param batches the most batches, at least 1
     * @param pass what to do with one batch's inputs, typically a forward pass
     * @return the number of batches used, at least 1 (fewer than {@code batches} if the data runs out)
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     * @throws IllegalArgumentException when {@code batches < 1} or the data set is empty
     */
    public static int run(NDManager manager, Dataset data, int batches, BiConsumer<ParameterStore, NDList> pass)
            throws IOException, TranslateException {
        if (batches < 1) {
            throw new IllegalArgumentException("forward passes need at least one batch, got " + batches);
        }
        int used = 0;
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            for (Batch batch : data.getData(scope)) {
                try (batch) {
                    pass.accept(store, batch.getData());
                }
                if (++used == batches) {
                    break;
                }
            }
        }
        if (used == 0) {
            throw new IllegalArgumentException("the data set is empty: no batch to run forward passes on");
        }
        return used;
    }
}
