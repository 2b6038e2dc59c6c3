package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.LayerRule;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.function.Predicate;

/**
 * Two-stage n-hot fine-tuning (Sakuma et al. 2021) as one call: stage 1 fine-tunes with uniform
 * b-bit weights and activations from the fp32 model; stage 2 switches every quantizer to the
 * n-hot(b, n) level set, keeping the learned steps, and fine-tunes again. The first layer and the
 * classifier stay float.
 */
public final class NHotRecipe {

    private NHotRecipe() {}

    /**
     * The configuration: n-hot(b, n) weights (signed, per channel) and inputs (unsigned), starting
     * in the uniform stage.
     *
     * @param bits b
     * @param hot n
     * @param rules more rules (e.g. layers that stay float)
     * @return the configuration
     */
    public static QuantizationConfig config(int bits, int hot, LayerRule... rules) {
        QuantizationConfig.Builder builder = QuantizationConfig.builder()
                .setWeights(NHotQuantizer.twoStageSpec(bits, hot))
                .optActivations(NHotQuantizer.twoStageSpec(bits, hot))
                .optKeepFirstFloat(true)
                .optKeepLastFloat(true);
        for (LayerRule rule : rules) {
            builder.optRule(rule);
        }
        return builder.build();
    }

    /**
     * Moves every n-hot quantizer of the model to its n-hot level set.
     *
     * @param network the wrapped model
     * @return the number of quantizers switched
     */
    public static int switchToNHot(QuantizedNetwork network) {
        return switchToNHot(network, q -> false);
    }

    /**
     * Moves every n-hot quantizer of the model to its n-hot level set, keeping the learned steps
     * except where {@code refitStep} says to fit one anew ({@link
     * NHotQuantizer#switchToNHotRefittingStep}) to the next tensor it quantizes.
     *
     * @param network the wrapped model
     * @param refitStep the quantizers whose steps are fitted to the n-hot grid by squared error
     * @return the number of quantizers switched
     */
    public static int switchToNHot(QuantizedNetwork network, Predicate<Quantizer> refitStep) {
        int count = 0;
        for (Quantizer q : network.getQuantizers()) {
            if (q instanceof NHotQuantizer nhot) {
                if (refitStep.test(q)) {
                    nhot.switchToNHotRefittingStep();
                } else {
                    nhot.switchToNHot();
                }
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
            FineTuning stage1,
            FineTuning stage2,
            boolean progress)
            throws IOException, TranslateException {
        return fineTune(model, train, input, config(bits, hot), stage1, stage2, progress);
    }

    /**
     * Wraps an fp32 model with a two-stage configuration (from {@link #config}) and runs both
     * stages.
     *
     * @param model a model holding trained fp32 weights; its block is replaced by the wrapped one
     * @param train the training set
     * @param input the shape of one batch
     * @param config the configuration, its n-hot quantizers in the uniform stage
     * @param stage1 the uniform stage
     * @param stage2 the n-hot stage
     * @param progress whether to show DJL's progress bar
     * @param extra more listeners, given to both stages (an {@link EpochHistory} numbers the n-hot
     *     stage's epochs after the uniform stage's)
     * @return the wrapped model, in the n-hot stage
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static QuantizedNetwork fineTune(
            Model model,
            RandomAccessDataset train,
            Shape input,
            QuantizationConfig config,
            FineTuning stage1,
            FineTuning stage2,
            boolean progress,
            TrainingListener... extra)
            throws IOException, TranslateException {
        QuantizedNetwork network = Quantization.wrap(model.getBlock(), config);
        model.setBlock(network);
        stage1.run(model, network, train, input, progress, 0, extra);
        switchToNHot(network);
        stage2.run(model, network, train, input, progress, 0, extra);
        return network;
    }
}
