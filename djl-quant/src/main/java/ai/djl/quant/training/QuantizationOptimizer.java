package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import java.util.Collection;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Routes each parameter to one of two optimizers: quantizer parameters (steps, scales) to their
 * own optimizer, with their own learning rate and no weight decay, everything else to the model's.
 *
 * <p>Weight decay on a step would shrink it towards zero and collapse the level set, and steps
 * usually want a different learning rate from weights; this is the standard LSQ practice.
 */
public class QuantizationOptimizer extends Optimizer {

    private final Optimizer modelOptimizer;
    private final Optimizer quantizerOptimizer;
    private final Set<String> quantizerParameterIds;

    /**
     * Creates the optimizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected QuantizationOptimizer(Builder builder) {
        super(builder);
        modelOptimizer = Objects.requireNonNull(builder.modelOptimizer, "setModelOptimizer");
        quantizerOptimizer =
                Objects.requireNonNull(builder.quantizerOptimizer, "setQuantizerOptimizer");
        quantizerParameterIds = new HashSet<>();
        for (Parameter p :
                Objects.requireNonNull(builder.quantizerParameters, "setQuantizerParameters")) {
            quantizerParameterIds.add(p.getId());
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
     * The usual set-up: the model's optimizer for weights, and SGD with momentum 0.9, the given
     * learning rate and no weight decay for the quantizers of {@code network}.
     *
     * @param network the wrapped model
     * @param modelOptimizer the optimizer of the model's own parameters
     * @param quantizerLearningRate the learning rate of quantizer parameters
     * @return the optimizer to put in the training config
     */
    public static QuantizationOptimizer of(
            QuantizedNetwork network,
            Optimizer modelOptimizer,
            ParameterTracker quantizerLearningRate) {
        Optimizer quantizer =
                Optimizer.sgd()
                        .setLearningRateTracker(quantizerLearningRate)
                        .optMomentum(0.9f)
                        .optWeightDecays(0f)
                        .build();
        return builder()
                .setModelOptimizer(modelOptimizer)
                .setQuantizerOptimizer(quantizer)
                .setQuantizerParameters(network.getQuantizerParameters())
                .build();
    }

    /**
     * Returns whether a parameter is routed to the quantizer optimizer.
     *
     * @param parameterId the parameter id
     * @return true for quantizer parameters
     */
    public boolean isQuantizerParameter(String parameterId) {
        return quantizerParameterIds.contains(parameterId);
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        Optimizer target =
                quantizerParameterIds.contains(parameterId) ? quantizerOptimizer : modelOptimizer;
        target.update(parameterId, weight, grad);
    }

    /** The builder of {@link QuantizationOptimizer}. */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private Optimizer modelOptimizer;
        private Optimizer quantizerOptimizer;
        private Collection<Parameter> quantizerParameters;

        Builder() {}

        /**
         * Sets the optimizer of the model's own parameters (required).
         *
         * @param optimizer the optimizer
         * @return this builder
         */
        public Builder setModelOptimizer(Optimizer optimizer) {
            this.modelOptimizer = optimizer;
            return this;
        }

        /**
         * Sets the optimizer of quantizer parameters (required); build it without weight decay.
         *
         * @param optimizer the optimizer
         * @return this builder
         */
        public Builder setQuantizerOptimizer(Optimizer optimizer) {
            this.quantizerOptimizer = optimizer;
            return this;
        }

        /**
         * Sets the parameters routed to the quantizer optimizer (required).
         *
         * @param parameters e.g. {@link QuantizedNetwork#getQuantizerParameters()}
         * @return this builder
         */
        public Builder setQuantizerParameters(Collection<Parameter> parameters) {
            this.quantizerParameters = parameters;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         */
        public QuantizationOptimizer build() {
            return new QuantizationOptimizer(this);
        }
    }
}
