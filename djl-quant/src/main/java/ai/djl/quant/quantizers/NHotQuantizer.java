package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * n-hot quantization (Sakuma et al. 2021, arXiv 2103.11704): LSQ's learned step Δ on the {@link
 * NHotLevels n-hot(b, n)} level set, for weights (signed, per channel) and activations
 * (unsigned, per tensor). Δ's gradient is scaled by {@code 1/sqrt(numel·maxLevel)}; Δ starts from
 * the uniform b-bit LSQ initialisation.
 *
 * <p>Two-stage fine-tuning: a quantizer built with {@link Builder#optUniformStage(boolean)} starts
 * on the symmetric uniform b-bit grid {@code [-(2^(b-1)-1), 2^(b-1)-1]} (ours: the same range as
 * the n-hot set, so Δ carries over unchanged); {@link #switchToNHot()} then moves it to the n-hot
 * set with the same Δ. A model saved after stage 2 is loaded with {@link #spec(int, int)}, which
 * starts in the n-hot stage.
 */
public class NHotQuantizer extends LearnedStepQuantizer {

    private final int hot;
    private final NHotLevels nhot;
    private boolean nHotStage;
    private boolean refitPending;

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected NHotQuantizer(Builder builder) {
        super(builder);
        this.hot = builder.hot;
        this.nhot = new NHotLevels(bits, hot, signed);
        if (builder.uniformStage) {
            switchToUniform();
        } else {
            switchToNHot();
        }
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
     * A spec in the n-hot stage (for single-stage training and for loading stage-2 models).
     *
     * @param bits b
     * @param hot n
     * @return the spec
     */
    public static QuantizerSpec spec(int bits, int hot) {
        return QuantizerSpec.of(
                "nhot" + hot, bits, (role, b) -> builder().setBits(b).optHot(hot).optRole(role).build());
    }

    /**
     * A spec that starts in the uniform stage, for two-stage fine-tuning.
     *
     * @param bits b
     * @param hot n
     * @return the spec
     */
    public static QuantizerSpec twoStageSpec(int bits, int hot) {
        return QuantizerSpec.of(
                "nhot" + hot + "-two-stage",
                bits,
                (role, b) -> builder().setBits(b).optHot(hot).optRole(role).optUniformStage(true).build());
    }

    /** Moves to the n-hot level set, keeping the learned step: the start of stage 2. */
    public void switchToNHot() {
        setLevels(nhot);
        nHotStage = true;
        refitPending = false;
    }

    /**
     * Moves to the n-hot level set and fits the step anew to the next tensor quantized (the weights,
     * or the first batch of activations of stage 2) by {@link MseStepSearch}: the step that
     * minimises the squared error on the n-hot grid, instead of the one learned for the uniform
     * grid. (For the activations of the zoo's CenterNet this halved the steps and left the score
     * where it was: README, "What the activations' grid costs".)
     */
    public void switchToNHotRefittingStep() {
        switchToNHot();
        refitPending = true;
        resetCalibration();
    }

    @Override
    protected void calibrate(NDArray x) {
        if (refitPending) {
            overwriteStep(MseStepSearch.search(x, getLevels(), perChannel));
            refitPending = false;
        } else {
            super.calibrate(x);
        }
    }

    /**
     * Moves back to the uniform level set of stage 1, {@code nearest(clip(x/Δ, min, max))·Δ} over
     * every integer between the n-hot set's ends, keeping the learned step: what an n-hot model
     * scores without its grid's coarseness, to measure what the grid costs. Weights that already
     * hold n-hot values (a packed artifact's) do not change: the uniform grid contains them.
     */
    public void switchToUniform() {
        setLevels(new UniformLevels(nhot.min(), nhot.max()));
        nHotStage = false;
    }

    /**
     * Returns whether the n-hot level set is in use (stage 2).
     *
     * @return true in the n-hot stage
     */
    public boolean isNHotStage() {
        return nHotStage;
    }

    /**
     * Returns n.
     *
     * @return the largest number of non-zero signed digits
     */
    public int getHot() {
        return hot;
    }

    @Override
    protected String methodName() {
        return "nhot";
    }

    @Override
    protected List<String> describeOptions() {
        return List.of("n=" + hot, nHotStage ? "n-hot stage" : "uniform stage");
    }

    /** The builder of {@link NHotQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        private int hot = 2;
        private boolean uniformStage;

        Builder() {}

        /**
         * Sets n, the largest number of non-zero signed digits (2 by default).
         *
         * @param hot n
         * @return this builder
         */
        public Builder optHot(int hot) {
            this.hot = hot;
            return this;
        }

        /**
         * Starts on the uniform grid (stage 1 of two-stage fine-tuning).
         *
         * @param uniform true to start uniform
         * @return this builder
         */
        public Builder optUniformStage(boolean uniform) {
            this.uniformStage = uniform;
            return this;
        }

        @Override
        protected int minBits() {
            return 2;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public NHotQuantizer build() {
            return new NHotQuantizer(this);
        }
    }
}
