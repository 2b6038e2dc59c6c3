package ai.djl.quant.training;

import ai.djl.quant.LayerSelector;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.quantizers.ShiftQuantizer;

/**
 * The set-up of the shift-quantizer paper (Badar 2025), by name: quantize the 3×3 convolutions of
 * the residual stages (the stem, the 1×1 downsample convolutions and the classifier stay float),
 * weights only or weights and inputs, fine-tune with SGD momentum 0.9 and no weight decay while λ
 * follows the reference schedule (15 epochs, or the same schedule compressed into fewer).
 */
public final class ShiftRecipe {

    /** The length of the reference λ schedule, in epochs. */
    public static final int REFERENCE_EPOCHS = 15;

    private ShiftRecipe() {}

    /**
     * The paper's scope with the shift grid of {@code s} shift bits.
     *
     * @param shiftBits s (2 gives ±{1, 1/2, 1/4, 1/8})
     * @param activations whether the convolution inputs are quantized too
     * @return the configuration
     */
    public static QuantizationConfig shift(int shiftBits, boolean activations) {
        QuantizerSpec spec = ShiftQuantizer.shiftSpec(shiftBits);
        return config(spec, activations ? spec : null);
    }

    /**
     * The paper's scope with any weight and activation quantizer (e.g. its uniform grid).
     *
     * @param weights the weight quantizer
     * @param activations the input quantizer, or null for weights only
     * @return the configuration
     */
    public static QuantizationConfig config(QuantizerSpec weights, QuantizerSpec activations) {
        return QuantizationConfig.builder()
                .setWeights(weights)
                .optActivations(activations)
                .optScope(LayerSelector.kernel("3x3"))
                .optKeepFirstFloat(true)
                .build();
    }

    /**
     * The λ schedule for a fine-tuning of {@code epochs}: the reference one for 15, the reference
     * compressed (per step) otherwise.
     *
     * @param epochs the fine-tuning length
     * @return the schedule
     */
    public static LambdaSchedule schedule(int epochs) {
        return epochs == REFERENCE_EPOCHS
                ? LambdaSchedule.reference()
                : LambdaSchedule.stretch(LambdaSchedule.reference(), REFERENCE_EPOCHS, epochs);
    }
}
