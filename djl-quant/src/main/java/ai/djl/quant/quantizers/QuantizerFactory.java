package ai.djl.quant.quantizers;

/** Creates a quantizer for a role and a bit width; a method reference to a quantizer's factory. */
@FunctionalInterface
public interface QuantizerFactory {

    /**
     * Creates a new quantizer.
     *
     * @param role what it will quantize
     * @param bits the bit width
     * @return a new, uncalibrated quantizer
     */
    Quantizer create(QuantizerRole role, int bits);
}
