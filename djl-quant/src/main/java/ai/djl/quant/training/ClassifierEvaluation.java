package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/** Top-1 accuracy of a classifier block over a whole dataset, in inference mode. */
public final class ClassifierEvaluation {

    private ClassifierEvaluation() {}

    /**
     * Counts correct top-1 predictions over every batch of {@code dataset}.
     *
     * @param block the classifier (logits as its first output)
     * @param manager the manager of the model's parameters
     * @param dataset the evaluation set; every example is used
     * @return the fraction correct, in {@code [0, 1]}
     * @throws IOException when the dataset cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static double accuracy(Block block, NDManager manager, Dataset dataset)
            throws IOException, TranslateException {
        long correct = 0;
        long total = 0;
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            for (Batch batch : dataset.getData(scope)) {
                try (batch) {
                    NDArray logits = block.forward(store, batch.getData(), false).head();
                    NDArray predicted = logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false);
                    NDArray truth = batch.getLabels().head().toType(ai.djl.ndarray.types.DataType.INT64, false);
                    correct += predicted.eq(truth).countNonzero().getLong();
                    total += truth.size();
                }
            }
        }
        if (total == 0) {
            throw new IllegalArgumentException("The evaluation dataset is empty");
        }
        return (double) correct / total;
    }
}
