package ai.djl.quant.quantizers;

/** What a {@link Quantizer} quantizes; it decides signedness defaults and the parameter shape. */
public enum QuantizerRole {
    /** A weight tensor, quantized per output channel (axis 0) unless told otherwise. */
    WEIGHT,
    /** An activation tensor, quantized per tensor with one learned or calibrated scale. */
    ACTIVATION,
    /**
     * An operand or the result of a residual sum: an activation that may be negative, so signed
     * by default, per tensor.
     */
    SUM
}
