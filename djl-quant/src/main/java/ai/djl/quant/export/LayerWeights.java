package ai.djl.quant.export;

import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.quantizers.Codebook;
import java.util.OptionalInt;

/**
 * The weights of a lowered convolution or linear layer: a hard-quantized codebook or plain floats,
 * and a per-output-channel factor (a folded BatchNorm's {@code γ/√(σ²+ε)}, else 1) that multiplies
 * each row.
 *
 * @param shape the weight shape, output channels first
 * @param codebook the quantized weights, or null for float weights
 * @param values the float weights when {@code codebook} is null
 * @param rowFactor the factor of each output channel
 * @param source the wrapped layer these weights come from, or null for a float layer
 */
public record LayerWeights(long[] shape, Codebook codebook, float[] values, float[] rowFactor, QuantizedLayer source) {

    /**
     * The codebook with the row factors moved into its scales (codes unchanged).
     *
     * @return the scaled codebook
     * @throws IllegalStateException for float weights
     */
    public Codebook scaledCodebook() {
        if (codebook == null) {
            throw new IllegalStateException("float weights have no codebook");
        }
        float[] scales = new float[rows()];
        for (int r = 0; r < scales.length; r++) {
            scales[r] = codebook.scale(r) * rowFactor[r];
        }
        return new Codebook(codebook.levels(), codebook.tableRows(), scales, rows(), codebook.codes());
    }

    /**
     * The exponent that makes the levels integers, when the weights are quantized on a dyadic grid
     * and every row's scale stays positive (a negative folded factor would flip the codes).
     *
     * @return e, or empty when the weights must stay float
     */
    public OptionalInt integerExponent() {
        if (codebook == null) {
            return OptionalInt.empty();
        }
        for (float f : rowFactor) {
            if (!(f > 0) || Float.isInfinite(f)) {
                return OptionalInt.empty();
            }
        }
        return codebook.dyadicExponent();
    }

    /**
     * The weight values with the row factors applied.
     *
     * @return row-major floats
     */
    public float[] floats() {
        float[] w = codebook != null ? codebook.decode() : values.clone();
        int perRow = w.length / rows();
        for (int i = 0; i < w.length; i++) {
            w[i] *= rowFactor[i / perRow];
        }
        return w;
    }

    /**
     * Returns the number of output channels.
     *
     * @return rows
     */
    public int rows() {
        return (int) shape[0];
    }
}
