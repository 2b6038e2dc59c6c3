package ai.djl.quant.quantizers;

/**
 * Uniform quantization with a learned step size (LSQ, Esser et al. 2020): {@link
 * LearnedStepQuantizer} on all integers of {@code [Qn, Qp]}, with {@code Qn = -2^(b-1), Qp =
 * 2^(b-1)-1} signed and {@code Qn = 0, Qp = 2^b-1} unsigned; rounding half to even.
 */
public class LsqQuantizer extends LearnedStepQuantizer {

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected LsqQuantizer(Builder builder) {
        super(builder);
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a spec for wrapping configurations.
     *
     * @param bits the bit width (2 or more when signed)
     * @return the spec
     */
    public static QuantizerSpec spec(int bits) {
        return QuantizerSpec.of(
                "lsq", bits, (role, b) -> builder().setBits(b).optRole(role).build());
    }

    @Override
    protected String methodName() {
        return "lsq";
    }

    /** The builder of {@link LsqQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        @Override
        protected int minBits() {
            return Boolean.FALSE.equals(signed) || (signed == null && role == QuantizerRole.ACTIVATION)
                    ? 1
                    : 2;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public LsqQuantizer build() {
            return new LsqQuantizer(this);
        }
    }
}
