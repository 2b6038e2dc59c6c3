package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * Uniform quantization with a learned step size (LSQ, Esser et al. 2020).
 *
 * <p>{@code Q(x) = round(clip(x/s, Qn, Qp))·s} (round half to even, as {@code torch.round}) with
 * a straight-through estimator on the rounding and the step's gradient scaled by {@code g = 1/sqrt(numel·Qp)}, where {@code numel}
 * counts the elements sharing the step. Signed: {@code Qn = -2^(b-1), Qp = 2^(b-1)-1}; unsigned:
 * {@code Qn = 0, Qp = 2^b - 1}. The step is initialised to {@code 2·mean|x|/sqrt(Qp)}.
 *
 * <p>Gradients: {@code dQ/dx = 1} inside {@code [Qn·s, Qp·s]}, 0 outside; {@code dQ/ds = g·(round(x/s)
 * - x/s)} inside, {@code g·Qn} or {@code g·Qp} outside.
 */
public class LsqQuantizer extends Quantizer {

    private final Parameter step;

    protected LsqQuantizer(Builder builder) {
        super(builder);
        step = addScaleParameter("step", true);
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

    /**
     * The LSQ fake-quantizer as a pure function.
     *
     * @param x the input
     * @param step the step, broadcastable to {@code x}
     * @param qn the lowest integer level
     * @param qp the highest integer level
     * @param gradScale the factor applied to the step's gradient
     * @return {@code round(clip(x/s, qn, qp))·s}
     */
    public static NDArray lsq(NDArray x, NDArray step, int qn, int qp, double gradScale) {
        NDArray s = StraightThrough.gradScale(step, gradScale);
        NDArray v = x.mul(s.pow(-1)).clip(qn, qp);
        // round(v) - v with no gradient, built in place: the straight-through offset
        NDArray detached = v.stopGradient();
        NDArray offset = detached.round().subi(detached);
        return v.add(offset).mul(s);
    }

    /**
     * Returns the lowest integer level {@code Qn}.
     *
     * @return {@code -2^(b-1)} signed, 0 unsigned
     */
    public int qn() {
        return signed ? -(1 << (bits - 1)) : 0;
    }

    /**
     * Returns the highest integer level {@code Qp}.
     *
     * @return {@code 2^(b-1)-1} signed, {@code 2^b-1} unsigned
     */
    public int qp() {
        return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    @Override
    protected void calibrate(NDArray x) {
        NDArray meanAbs = perScale(x, t -> t.abs().mean(new int[] {1}, true));
        NDArray init = meanAbs.mul(2.0 / Math.sqrt(qp())).maximum(1e-8f);
        assign(step, init);
    }

    @Override
    protected NDArray quantizeDifferentiable(
            ParameterStore parameterStore, NDArray x, boolean training) {
        NDArray s = parameterStore.getValue(step, x.getDevice(), training);
        double g = 1.0 / Math.sqrt((double) elementsPerScale(x) * qp());
        return lsq(x, s, qn(), qp(), g);
    }

    @Override
    protected NDArray quantizeHard(ParameterStore parameterStore, NDArray x) {
        NDArray s = parameterStore.getValue(step, x.getDevice(), false).stopGradient();
        return x.div(s).clip(qn(), qp()).round().muli(s);
    }

    @Override
    public int numLevels() {
        return qp() - qn() + 1;
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
