package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.training.ParameterStore;

/**
 * Binary sign quantization of weights with a per-channel mean-absolute scale (XNOR-Net style).
 *
 * <p>{@code Q(w) = α_c·sign(w)} with {@code α_c = mean|w_c|} recomputed each step (not learned)
 * and {@code sign(0) = +1}, so there is no zero level. The gradient is straight-through: {@code
 * y = w + stopGradient(Q(w) - w)}, {@code dy/dw = 1}.
 */
public class BinaryQuantizer extends Quantizer {

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected BinaryQuantizer(Builder builder) {
        super(builder);
        if (role != QuantizerRole.WEIGHT || !signed) {
            throw new IllegalArgumentException(
                    "BinaryQuantizer quantizes signed weights only; use LsqQuantizer or"
                            + " PowerOfTwoQuantizer for activations.");
        }
    }

    /**
     * Creates a builder; the bit width is 1.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder().setBits(1);
    }

    /**
     * Returns a spec for wrapping configurations (weights only).
     *
     * @return the spec
     */
    public static QuantizerSpec spec() {
        return QuantizerSpec.of(
                "binary", 1, (role, b) -> builder().setBits(b).optRole(role).build());
    }

    /**
     * The binary quantizer as a pure function.
     *
     * @param w the weights
     * @param alpha the scale {@code mean|w_c|}, broadcastable to {@code w}
     * @return {@code alpha·sign(w)}, with {@code sign(0) = +1}
     */
    public static NDArray binarize(NDArray w, NDArray alpha) {
        NDArray sign = GraphConstants.mul(w.gte(0).toType(w.getDataType(), false), 2).sub(1);
        return sign.mul(alpha);
    }

    @Override
    protected void calibrate(NDArray x) {
        // The scale is a statistic of the current weights, nothing to initialise.
    }

    @Override
    protected NDArray quantizeDifferentiable(
            ParameterStore parameterStore, NDArray x, boolean training) {
        return StraightThrough.ste(x, quantizeHard(parameterStore, x.stopGradient()));
    }

    @Override
    protected NDArray quantizeHard(ParameterStore parameterStore, NDArray x) {
        return binarize(x, perScale(x, t -> t.abs().mean(new int[] {1}, true)));
    }

    @Override
    public Codebook codebook(ParameterStore parameterStore, NDArray w) {
        // loaded weights are ±α already: their mean magnitude may round an ulp off α, their maximum is α
        NDArray alpha = perScale(w, t -> hasPrequantizedInputs() ? t.abs().max(new int[] {1}, true) : t.abs().mean(new int[] {1}, true));
        return encode(parameterStore, w, alpha, new float[] {-1f, 1f});
    }

    /** One signed power of two per weight: a single shift. */
    @Override
    public int multiplierTerms() {
        return 1;
    }

    @Override
    public int numLevels() {
        return 2;
    }

    @Override
    protected String methodName() {
        return "binary";
    }

    /** The builder of {@link BinaryQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public BinaryQuantizer build() {
            checkBits(bits, 1, "BinaryQuantizer");
            if (bits != 1) {
                throw new IllegalArgumentException(
                        "BinaryQuantizer: bit width " + bits + " is not supported; it is 1 bit.");
            }
            return new BinaryQuantizer(this);
        }
    }
}
