package ai.djl.quant;

import ai.djl.quant.quantizers.QuantizerSpec;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A rule of a {@link QuantizationConfig}: for the layers a {@link LayerSelector} chooses, change
 * the plan (keep float, change bits, change quantizers). Rules apply in order; later rules win.
 */
public final class LayerRule {

    private final LayerSelector selector;
    private final String description;
    private final UnaryOperator<LayerPlan> change;

    private LayerRule(LayerSelector selector, String description, UnaryOperator<LayerPlan> change) {
        this.selector = Objects.requireNonNull(selector, "selector");
        this.description = description;
        this.change = change;
    }

    /**
     * Keeps the selected layers in float.
     *
     * @param selector the layers
     * @return the rule
     */
    public static LayerRule keepFloat(LayerSelector selector) {
        return new LayerRule(selector, "float", plan -> LayerPlan.FLOAT);
    }

    /**
     * Sets the bit widths of the selected layers (mixed precision), keeping their methods.
     *
     * @param selector the layers
     * @param weightBits the weight bits, 1 to 16
     * @param activationBits the activation bits, 1 to 16, or 0 to keep activations float
     * @return the rule
     * @throws IllegalArgumentException for bits outside the range
     */
    public static LayerRule bits(LayerSelector selector, int weightBits, int activationBits) {
        ai.djl.quant.quantizers.Quantizer.checkBits(weightBits, 1, "LayerRule.bits(" + selector + ")");
        if (activationBits != 0) {
            ai.djl.quant.quantizers.Quantizer.checkBits(
                    activationBits, 1, "LayerRule.bits(" + selector + ")");
        }
        return new LayerRule(
                selector,
                "W" + weightBits + "A" + (activationBits == 0 ? "fp" : activationBits),
                plan -> plan.withBits(weightBits, activationBits));
    }

    /**
     * Uses other quantizers for the selected layers.
     *
     * @param selector the layers
     * @param weights the weight quantizer
     * @param activations the input-activation quantizer, or null to keep the input float
     * @return the rule
     */
    public static LayerRule use(
            LayerSelector selector, QuantizerSpec weights, QuantizerSpec activations) {
        Objects.requireNonNull(weights, "weights");
        return new LayerRule(
                selector,
                "w=" + weights + " a=" + activations,
                plan -> new LayerPlan(weights, activations));
    }

    /**
     * Returns the selector.
     *
     * @return the selector
     */
    public LayerSelector getSelector() {
        return selector;
    }

    LayerPlan apply(LayerPlan plan) {
        return change.apply(plan);
    }

    @Override
    public String toString() {
        return selector + " -> " + description;
    }
}
