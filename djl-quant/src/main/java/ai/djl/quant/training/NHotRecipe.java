package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * Two-stage n-hot fine-tuning (Sakuma et al. 2021) as one call: stage 1 fine-tunes with uniform
 * b-bit weights and activations from the fp32 model; stage 2 switches every quantizer to the
 * n-hot(b, n) level set, keeping the learned steps, and fine-tunes again. The first layer and the
 * classifier stay float.
 */
public final class NHotRecipe {

    /**
     * The length and learning rate of one stage (SGD momentum 0.9, cosine to 0, the quantizers'
     * steps at the same rate without weight decay).
     *
     * @param epochs the number of epochs
     * @param learningRate the initial learning rate
     * @param weightDecay the weight decay of the model's parameters
     */
    public record Stage(int epochs, float learningRate, float weightDecay) {}

    private NHotRecipe() {}

    /**
     * The configuration: n-hot(b, n) weights (signed, per channel) and inputs (unsigned), starting
     * in the uniform stage.
     *
     * @param bits b
     * @param hot n
     * @return the configuration
     */
    public static QuantizationConfig config(int bits, int hot) {
        return QuantizationConfig.builder()
                .setWeights(NHotQuantizer.twoStageSpec(bits, hot))
                .optActivations(NHotQuantizer.twoStageSpec(bits, hot))
                .optKeepFirstFloat(true)
                .optKeepLastFloat(true)
                .build();
    }

    /**
     * Moves every n-hot quantizer of the model to its n-hot level set.
     *
     * @param network the wrapped model
     * @return the number of quantizers switched
     */
    public static int switchToNHot(QuantizedNetwork network) {
        int count = 0;
        for (Quantizer q : network.getQuantizers()) {
            if (q instanceof NHotQuantizer nhot) {
                nhot.switchToNHot();
                count++;
            }
        }
        return count;
    }

    /**
     * Wraps an fp32 model and runs both stages.
     *
     * @param model a model holding trained fp32 weights; its block is replaced by the wrapped one
     * @param train the training set
     * @param input the shape of one batch
     * @param bits b
     * @param hot n
     * @param stage1 the uniform stage
     * @param stage2 the n-hot stage
     * @param progress whether to show DJL's progress bar
     * @return the wrapped model, in the n-hot stage
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static QuantizedNetwork fineTune(
            Model model,
            RandomAccessDataset train,
            Shape input,
            int bits,
            int hot,
            Stage stage1,
            Stage stage2,
            boolean progress)
            throws IOException, TranslateException {
        QuantizedNetwork network = Quantization.wrap(model.getBlock(), config(bits, hot));
        model.setBlock(network);
        int stepsPerEpoch = (int) ((train.size() + input.get(0) - 1) / input.get(0));
        runStage(model, network, train, input, stage1, stepsPerEpoch, progress);
        switchToNHot(network);
        runStage(model, network, train, input, stage2, stepsPerEpoch, progress);
        return network;
    }

    /**
     * Fine-tunes a wrapped model for one stage.
     *
     * @param model the model
     * @param network its wrapped block
     * @param train the training set
     * @param input the batch shape
     * @param stage the stage's settings
     * @param stepsPerEpoch batches per epoch
     * @param progress whether to show the progress bar
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static void runStage(
            Model model,
            QuantizedNetwork network,
            RandomAccessDataset train,
            Shape input,
            Stage stage,
            int stepsPerEpoch,
            boolean progress)
            throws IOException, TranslateException {
        if (stage.epochs() <= 0) {
            return;
        }
        int steps = stage.epochs() * stepsPerEpoch;
        Optimizer weights = ClassifierTraining.sgdCosine(stage.learningRate(), stage.weightDecay(), steps);
        Optimizer optimizer =
                QuantizationOptimizer.of(
                        network,
                        weights,
                        CosineTracker.builder().setBaseValue(stage.learningRate()).optFinalValue(0f).setMaxUpdates(steps).build());
        ClassifierTraining.fit(model, train, stage.epochs(), ClassifierTraining.config(optimizer, progress), input);
    }
}
