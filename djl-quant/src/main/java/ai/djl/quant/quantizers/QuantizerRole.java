package ai.djl.quant.quantizers;

/** What a {@link Quantizer} quantizes; it decides signedness defaults and the parameter shape. */
public enum QuantizerRole {
    /** A weight tensor, quantized per output channel (axis 0) unless told otherwise. */
    WEIGHT,
    /**
     * An activation tensor that is never negative (it comes from a ReLU), quantized per tensor
     * with one learned or calibrated scale: unsigned by default.
     */
    ACTIVATION,
    /**
     * An activation that may be negative (a linear bottleneck's output, a residual sum's operand
     * or result): signed by default, per tensor.
     */
    SIGNED_ACTIVATION
}
