package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.ParameterStore;
import java.util.Optional;

/**
 * Uniform activation quantization with a clip chosen by search rather than learned: {@code Q(x) =
 * round(clip(x/s, Qn, Qp))·s}, {@code s = α/Qp}, straight-through inside the range (with the PyTorch engine through the fused form
 * {@link FusedFakeQuantize}: values equal to within the last bit, an input within half a step beyond the range counts
 * as inside).
 *
 * <p>Two objectives for α:
 *
 * <ul>
 *   <li>{@link Objective#CHANNEL_BALANCED} (Hoang et al. 2020): minimise the mean over channels of
 *       the normalised error {@code ‖x_c - Q(x_c)‖² / ‖x_c‖²}, so that a few high-variance
 *       channels do not decide the clip for the majority;
 *   <li>{@link Objective#MSE}: minimise the total squared error (the plain per-tensor clip).
 * </ul>
 *
 * <p>α is searched over {@code max|x|·i/64}, i = 1…64, averaged over the first {@code
 * calibrationBatches} training batches, then re-searched every {@code interval} training steps
 * and blended in with momentum 0.9 (ours). Channels are axis 1.
 */
public class ChannelBalancedQuantizer extends Quantizer {

    /** What the clip search minimises. */
    public enum Objective {
        /** Mean over channels of the normalised squared error. */
        CHANNEL_BALANCED,
        /** Total squared error. */
        MSE
    }

    private static final int CANDIDATES = 64;

    private final Objective objective;
    private final int calibrationBatches;
    private final int interval;
    private final Parameter clip;
    private final UniformLevels levels;
    private int seen;

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected ChannelBalancedQuantizer(Builder builder) {
        super(builder);
        objective = builder.objective;
        calibrationBatches = builder.calibrationBatches;
        interval = builder.interval;
        clip = addScaleParameter("clip", false);
        levels =
                signed
                        ? new UniformLevels(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
                        : new UniformLevels(0, (1 << bits) - 1);
    }

    /**
     * Creates a builder (activations, unsigned, per tensor).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A spec with the given objective.
     *
     * @param bits the bit width
     * @param objective channel-balanced or plain MSE
     * @return the spec
     */
    public static QuantizerSpec spec(int bits, Objective objective) {
        String name = objective == Objective.MSE ? "mse-clip" : "channel-balanced";
        return QuantizerSpec.of(name, bits, (role, b) -> builder().setBits(b).optRole(role).optObjective(objective).build());
    }

    private int qp() {
        return levels.max();
    }

    private int qn() {
        return levels.min();
    }

    /**
     * Searches the clip that minimises the objective on a tensor.
     *
     * @param x activations, channels on axis 1
     * @return the best α
     */
    public float searchClip(NDArray x) {
        float[] v;
        try (NDArray detached = x.stopGradient()) {
            v = detached.toFloatArray(); // a copy already: DJL copies the tensor's bytes into a Java array
        }
        long[] shape = x.getShape().getShape();
        int channels = shape.length > 1 ? (int) shape[1] : 1;
        int inner = 1;
        for (int d = 2; d < shape.length; d++) {
            inner *= (int) shape[d];
        }
        float max = 0;
        for (float f : v) {
            max = Math.max(max, Math.abs(f));
        }
        if (max == 0) {
            return 1f;
        }
        double[] energy = new double[channels];
        for (int i = 0; i < v.length; i++) {
            int c = (i / inner) % channels;
            energy[c] += (double) v[i] * v[i];
        }
        double best = Double.MAX_VALUE;
        float bestClip = max;
        double[] error = new double[channels];
        for (int k = 1; k <= CANDIDATES; k++) {
            float alpha = max * k / CANDIDATES;
            float step = alpha / qp();
            java.util.Arrays.fill(error, 0);
            for (int i = 0; i < v.length; i++) {
                float q = Math.round(Math.max(qn(), Math.min(qp(), v[i] / step))) * step;
                float e = v[i] - q;
                error[(i / inner) % channels] += (double) e * e;
            }
            double score = 0;
            for (int c = 0; c < channels; c++) {
                score += objective == Objective.MSE ? error[c] : (energy[c] > 0 ? error[c] / energy[c] : 0);
            }
            if (score < best) {
                best = score;
                bestClip = alpha;
            }
        }
        return bestClip;
    }

    @Override
    protected void calibrate(NDArray x) {
        ParameterValues.overwrite(clip, new float[] {searchClip(x)});
        seen = 1;
    }

    @Override
    protected NDArray quantizeDifferentiable(ParameterStore ps, NDArray x, boolean training) {
        if (training) {
            seen++;
            boolean calibrating = seen <= calibrationBatches;
            if (calibrating || (interval > 0 && seen % interval == 0)) {
                float current = clip.getArray().getFloat(0);
                float found = searchClip(x);
                float weight = calibrating ? 1f / seen : 0.1f;
                ParameterValues.overwrite(clip, new float[] {current + weight * (found - current)});
            }
        }
        NDArray step = GraphConstants.div(ps.getValue(clip, x.getDevice(), false).stopGradient(), qp());
        // the clip is searched, not learned: the step's gradient is dropped, and the fused kernel
        // spares the large activations of e.g. MobileNetV2's expansions an element-wise chain
        return LearnedStepQuantizer.fakeQuantize(x, step, levels, false, 1.0);
    }

    @Override
    protected NDArray quantizeHard(ParameterStore ps, NDArray x) {
        NDArray step = GraphConstants.div(ps.getValue(clip, x.getDevice(), false).stopGradient(), qp());
        return levels.round(x.div(step).clip(qn(), qp())).muli(step);
    }

    @Override
    public Optional<IntegerGrid> integerGrid(ParameterStore ps) {
        NDArray step = GraphConstants.div(ps.getValue(clip, clip.getArray().getDevice(), false), qp());
        return step.size() == 1 ? Optional.of(new IntegerGrid(step.toFloatArray()[0], levels)) : Optional.empty();
    }

    /**
     * Returns the current clip α.
     *
     * @return α
     */
    public float getClip() {
        return clip.getArray().getFloat(0);
    }

    @Override
    public int numLevels() {
        return levels.size();
    }

    @Override
    protected String methodName() {
        return objective == Objective.MSE ? "mse-clip" : "channel-balanced";
    }

    /** The builder of {@link ChannelBalancedQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        private Objective objective = Objective.CHANNEL_BALANCED;
        private int calibrationBatches = 4;
        private int interval = 200;

        Builder() {
            optRole(QuantizerRole.ACTIVATION);
        }

        /**
         * Chooses the objective (channel-balanced by default).
         *
         * @param objective the objective
         * @return this builder
         */
        public Builder optObjective(Objective objective) {
            this.objective = objective;
            return this;
        }

        /**
         * Sets how many first training batches are averaged for the clip (4 by default).
         *
         * @param batches the number of batches
         * @return this builder
         */
        public Builder optCalibrationBatches(int batches) {
            this.calibrationBatches = batches;
            return this;
        }

        /**
         * Sets how often (in training steps) the clip is searched again; 0 never (200 default).
         *
         * @param steps the interval
         * @return this builder
         */
        public Builder optResearchInterval(int steps) {
            this.interval = steps;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public ChannelBalancedQuantizer build() {
            return new ChannelBalancedQuantizer(this);
        }
    }
}
