package ai.djl.quant;

import ai.djl.quant.quantizers.QuantizerSpec;

/**
 * What the configuration decided for one layer: its weight and input quantizers, or float.
 *
 * @param weights the weight quantizer, or null to keep the layer float
 * @param activations the input quantizer, or null to keep the input float
 */
public record LayerPlan(QuantizerSpec weights, QuantizerSpec activations) {

    /** A layer that stays float. */
    public static final LayerPlan FLOAT = new LayerPlan(null, null);

    /**
     * Returns whether the layer is quantized.
     *
     * @return true when it has a weight quantizer
     */
    public boolean isQuantized() {
        return weights != null;
    }

    LayerPlan withBits(int weightBits, int activationBits) {
        if (weights == null) {
            return this;
        }
        QuantizerSpec a =
                activationBits == 0 || activations == null ? null : activations.withBits(activationBits);
        return new LayerPlan(weights.withBits(weightBits), a);
    }
}
