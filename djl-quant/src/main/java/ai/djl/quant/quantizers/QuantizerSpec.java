package ai.djl.quant.quantizers;

import java.util.Objects;

/**
 * A quantization method with its bit width, as written in a wrapping configuration: it creates
 * one fresh {@link Quantizer} per layer.
 *
 * <pre>{@code
 * QuantizerSpec w4 = LsqQuantizer.spec(4);
 * QuantizerSpec w8 = w4.withBits(8); // mixed precision for one layer
 * }</pre>
 */
public final class QuantizerSpec {

    private final String method;
    private final int bits;
    private final QuantizerFactory factory;

    private QuantizerSpec(String method, int bits, QuantizerFactory factory) {
        this.method = Objects.requireNonNull(method, "method");
        this.bits = Quantizer.checkBits(bits, 1, method);
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /**
     * Creates a spec.
     *
     * @param method a short name of the method, shown in summaries
     * @param bits the bit width, 1 to 16
     * @param factory creates the quantizer
     * @return the spec
     * @throws IllegalArgumentException for a bit width outside 1 to 16
     */
    public static QuantizerSpec of(String method, int bits, QuantizerFactory factory) {
        return new QuantizerSpec(method, bits, factory);
    }

    /**
     * Returns the same method at another bit width.
     *
     * @param newBits the bit width
     * @return a new spec
     */
    public QuantizerSpec withBits(int newBits) {
        return new QuantizerSpec(method, newBits, factory);
    }

    /**
     * Creates a quantizer for one layer.
     *
     * @param role weight or activation
     * @return a new quantizer
     */
    public Quantizer create(QuantizerRole role) {
        return factory.create(role, bits);
    }

    /**
     * Returns the method name.
     *
     * @return the method name
     */
    public String getMethod() {
        return method;
    }

    /**
     * Returns the bit width.
     *
     * @return the bits
     */
    public int getBits() {
        return bits;
    }

    @Override
    public String toString() {
        return method + "/" + bits;
    }
}
