package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * Quantization-aware fine-tuning of a wrapped model: SGD momentum 0.9 with a cosine learning rate
 * to 0 for the model's parameters (with weight decay), and the same schedule without weight decay
 * for the quantizers' parameters.
 *
 * @param epochs the number of epochs
 * @param learningRate the initial learning rate
 * @param weightDecay the weight decay of the model's parameters
 */
public record FineTuning(int epochs, float learningRate, float weightDecay) {

    /**
     * Runs the fine-tuning; nothing happens for 0 epochs.
     *
     * @param model the model whose block is {@code network}
     * @param network the wrapped model
     * @param train the training set
     * @param input the batch shape
     * @param progress whether to show DJL's progress bar
     * @return seconds spent
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public double run(Model model, QuantizedNetwork network, RandomAccessDataset train, Shape input, boolean progress)
            throws IOException, TranslateException {
        if (epochs <= 0) {
            return 0;
        }
        int steps = epochs * (int) ((train.size() + input.get(0) - 1) / input.get(0));
        Optimizer weights = ClassifierTraining.sgdCosine(learningRate, weightDecay, steps);
        Optimizer optimizer =
                QuantizationOptimizer.of(
                        network,
                        weights,
                        CosineTracker.builder().setBaseValue(learningRate).optFinalValue(0f).setMaxUpdates(steps).build());
        return ClassifierTraining.fit(model, train, epochs, ClassifierTraining.config(optimizer, progress), input);
    }
}
