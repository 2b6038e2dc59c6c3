package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * Power-of-two quantization with straight-through rounding in the log domain and a learned scale
 * (the INQ / DeepShift family).
 *
 * <p>Levels: {@code α·{0, ±2^e}}, {@code e ∈ {0, -1, …, emin}}. Signed b bits: one sign bit and
 * {@code 2^(b-1)} magnitude codes, one of them zero, so {@code emin = -(2^(b-1) - 2)}; unsigned:
 * {@code emin = -(2^b - 2)}. With {@code x̂ = clip(x/α, -1, 1)}:
 *
 * <pre>
 *   Q(x) = α · sign(x̂) · 2^round(log2|x̂|)   if round(log2|x̂|) ≥ emin, else 0
 *   y    = α_g · ste(x̂, Q(x)/α),  α_g = gradScale(α, 1/sqrt(numel))
 * </pre>
 *
 * <p>So {@code dy/dx = 1} inside the range and 0 outside, and {@code dy/dα = (Q(x) - x)/α} inside
 * (times the gradient scale), as in LSQ. Ours: {@code α} starts at {@code max|x|} per channel.
 */
public class PowerOfTwoQuantizer extends Quantizer {

    private final Parameter scale;

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected PowerOfTwoQuantizer(Builder builder) {
        super(builder);
        scale = addScaleParameter("scale", true);
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
                "pot", bits, (role, b) -> builder().setBits(b).optRole(role).build());
    }

    /**
     * Rounds normalised magnitudes to the nearest power of two in the log domain.
     *
     * @param xhat the normalised input, already clipped to {@code [-1, 1]}
     * @param minExponent the smallest exponent {@code emin}; below it the value becomes 0
     * @return {@code sign(x̂)·2^round(log2|x̂|)} or 0
     */
    public static NDArray roundToPowerOfTwo(NDArray xhat, int minExponent) {
        NDArray magnitude = xhat.abs();
        // log2(0) is -inf: the max keeps it finite, and the mask below sends it to zero anyway
        NDArray exponent = GraphConstants.maximum(magnitude, 1e-30).log2().round();
        NDArray keep = exponent.gte(minExponent);
        NDArray power = exponent.clip(minExponent, 0).toType(xhat.getDataType(), false);
        NDArray levels = GraphConstants.pow(2, power).mul(xhat.sign());
        return NDArrays.where(keep, levels, levels.zerosLike());
    }

    /**
     * Returns the smallest exponent {@code emin} of the level set.
     *
     * @return {@code -(2^(b-1) - 2)} signed, {@code -(2^b - 2)} unsigned
     */
    public int minExponent() {
        int magnitudeCodes = signed ? 1 << (bits - 1) : 1 << bits;
        return -(magnitudeCodes - 2);
    }

    private NDArray normalisedClip(NDArray xOverScale) {
        return xOverScale.clip(signed ? -1 : 0, 1);
    }

    @Override
    protected void calibrate(NDArray x) {
        NDArray maxAbs = GraphConstants.maximum(perScale(x, t -> t.abs().max(new int[] {1}, true)), 1e-8);
        ParameterValues.overwrite(scale, maxAbs);
    }

    @Override
    protected NDArray quantizeDifferentiable(
            ParameterStore parameterStore, NDArray x, boolean training) {
        NDArray alpha = parameterStore.getValue(scale, x.getDevice(), training);
        NDArray a = StraightThrough.gradScale(alpha, 1.0 / Math.sqrt(elementsPerScale(x)));
        NDArray xhat = normalisedClip(x.div(a));
        NDArray q = roundToPowerOfTwo(xhat.stopGradient(), minExponent());
        return StraightThrough.ste(xhat, q).mul(a);
    }

    @Override
    protected NDArray quantizeHard(ParameterStore parameterStore, NDArray x) {
        NDArray alpha = parameterStore.getValue(scale, x.getDevice(), false).stopGradient();
        return roundToPowerOfTwo(normalisedClip(x.div(alpha)), minExponent()).mul(alpha);
    }

    @Override
    public Codebook codebook(ParameterStore parameterStore, NDArray w) {
        NDArray alpha = parameterStore.getValue(scale, w.getDevice(), false).stopGradient();
        int powers = 1 - minExponent();
        float[] levels = new float[numLevels()];
        int i = 0;
        if (signed) {
            for (int e = 0; e >= minExponent(); e--) {
                levels[i++] = -(float) Math.pow(2, e);
            }
        }
        levels[i++] = 0f;
        for (int e = minExponent(); e <= 0; e++) {
            levels[i++] = (float) Math.pow(2, e);
        }
        assert i == (signed ? 2 * powers + 1 : powers + 1);
        return encode(parameterStore, w, alpha, levels);
    }

    /** One signed power of two per weight: a single shift. */
    @Override
    public int multiplierTerms() {
        return 1;
    }

    @Override
    public int numLevels() {
        int powers = 1 - minExponent();
        return signed ? 2 * powers + 1 : powers + 1;
    }

    @Override
    protected String methodName() {
        return "pot";
    }

    @Override
    protected List<String> describeOptions() {
        return List.of("emin=" + minExponent());
    }

    /** The builder of {@link PowerOfTwoQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        @Override
        protected int minBits() {
            return 2;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public PowerOfTwoQuantizer build() {
            return new PowerOfTwoQuantizer(this);
        }
    }
}
