package ai.djl.quant;

import ai.djl.quant.nn.LayerInfo;
import ai.djl.quant.quantizers.QuantizerSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How to quantize a model: the default weight and activation quantizers, which layers are in
 * scope, and rules for exceptions (float layers, mixed precision, other methods).
 *
 * <pre>{@code
 * QuantizationConfig config = QuantizationConfig.builder()
 *         .setWeights(LsqQuantizer.spec(4))
 *         .optActivations(LsqQuantizer.spec(4))
 *         .optKeepFirstFloat(true)
 *         .optKeepLastFloat(true)
 *         .optRule(LayerRule.bits(LayerSelector.path("05SequentialBlock/01Conv2d"), 8, 8))
 *         .build();
 * }</pre>
 */
public final class QuantizationConfig {

    private final QuantizerSpec weights;
    private final QuantizerSpec activations;
    private final QuantizerSpec sums;
    private final LayerSelector scope;
    private final boolean keepFirstFloat;
    private final boolean keepLastFloat;
    private final List<LayerRule> rules;

    private QuantizationConfig(Builder builder) {
        this.weights = Objects.requireNonNull(builder.weights, "setWeights is required");
        this.activations = builder.activations;
        this.sums = builder.sums;
        this.scope = builder.scope;
        this.keepFirstFloat = builder.keepFirstFloat;
        this.keepLastFloat = builder.keepLastFloat;
        this.rules = List.copyOf(builder.rules);
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
     * Decides, for each quantizable layer, its plan.
     *
     * @param layers the quantizable layers of a model
     * @return the plan of every layer, in the given order
     * @throws IllegalArgumentException when a named selector matches no layer
     */
    public Map<LayerInfo, LayerPlan> plan(List<LayerInfo> layers) {
        checkNamedSelectors(layers);
        Map<LayerInfo, LayerPlan> plans = new LinkedHashMap<>();
        for (LayerInfo layer : layers) {
            LayerPlan plan = new LayerPlan(weights, activations);
            if (!scope.matches(layer)
                    || (keepFirstFloat && layer.isFirst())
                    || (keepLastFloat && layer.isLast())) {
                plan = LayerPlan.FLOAT;
            }
            for (LayerRule rule : rules) {
                if (rule.getSelector().matches(layer) && plan.isQuantized()) {
                    plan = rule.apply(plan);
                }
            }
            plans.put(layer, plan);
        }
        return plans;
    }

    private void checkNamedSelectors(List<LayerInfo> layers) {
        List<LayerSelector> selectors = new ArrayList<>();
        selectors.add(scope);
        rules.forEach(r -> selectors.add(r.getSelector()));
        for (LayerSelector selector : selectors) {
            if (selector.isNamed() && layers.stream().noneMatch(selector::matches)) {
                String known =
                        layers.stream()
                                .limit(40)
                                .map(l -> l.displayPath() + " (" + l.type() + ")")
                                .collect(Collectors.joining("\n  "));
                throw new IllegalArgumentException(
                        "Rule selector "
                                + selector
                                + " matches no quantizable layer. The quantizable layers are:\n  "
                                + known
                                + (layers.size() > 40 ? "\n  …" : ""));
            }
        }
    }

    /**
     * Returns the default weight quantizer.
     *
     * @return the weight spec
     */
    public QuantizerSpec getWeights() {
        return weights;
    }

    /**
     * Returns the default input-activation quantizer.
     *
     * @return the activation spec, or null when activations stay float
     */
    public QuantizerSpec getActivations() {
        return activations;
    }

    /**
     * Returns the quantizer of residual sums' operands and results.
     *
     * @return the spec, or null when sums stay float
     */
    public QuantizerSpec getSums() {
        return sums;
    }

    @Override
    public String toString() {
        return "QuantizationConfig{weights="
                + weights
                + ", activations="
                + activations
                + ", scope="
                + scope
                + ", keepFirstFloat="
                + keepFirstFloat
                + ", keepLastFloat="
                + keepLastFloat
                + ", rules="
                + rules
                + (sums == null ? "" : ", sums=" + sums)
                + '}';
    }

    /** The builder of {@link QuantizationConfig}. */
    public static final class Builder {

        private QuantizerSpec weights;
        private QuantizerSpec activations;
        private QuantizerSpec sums;
        private LayerSelector scope = LayerSelector.all();
        private boolean keepFirstFloat;
        private boolean keepLastFloat;
        private final List<LayerRule> rules = new ArrayList<>();

        Builder() {}

        /**
         * Sets the weight quantizer of every quantized layer (required).
         *
         * @param weights e.g. {@code LsqQuantizer.spec(4)}
         * @return this builder
         */
        public Builder setWeights(QuantizerSpec weights) {
            this.weights = weights;
            return this;
        }

        /**
         * Sets the input-activation quantizer of every quantized layer; without it, inputs stay
         * float (weight-only quantization).
         *
         * @param activations e.g. {@code LsqQuantizer.spec(4)}
         * @return this builder
         */
        public Builder optActivations(QuantizerSpec activations) {
            this.activations = activations;
            return this;
        }

        /**
         * Also quantizes every residual sum (a {@code ParallelBlock} whose join adds its
         * branches): each branch output and the sum, {@code y = Q(Σ_i Q_i(f_i(x)))}, with signed
         * per-tensor quantizers of this spec. Off by default. With 8-bit sums every tensor of a
         * residual unit is integer, so integer runtimes run the whole unit on integers (ONNX
         * Runtime: QLinearConv for every convolution and QLinearAdd for the sum).
         *
         * @param sums e.g. {@code LsqQuantizer.spec(8)}
         * @return this builder
         */
        public Builder optSums(QuantizerSpec sums) {
            this.sums = sums;
            return this;
        }

        /**
         * Restricts quantization to the layers a selector chooses (all by default).
         *
         * @param scope the selector
         * @return this builder
         */
        public Builder optScope(LayerSelector scope) {
            this.scope = Objects.requireNonNull(scope, "scope");
            return this;
        }

        /**
         * Keeps the first quantizable layer (the stem) in float.
         *
         * @param keep true to keep it float
         * @return this builder
         */
        public Builder optKeepFirstFloat(boolean keep) {
            this.keepFirstFloat = keep;
            return this;
        }

        /**
         * Keeps the last quantizable layer (the classifier) in float.
         *
         * @param keep true to keep it float
         * @return this builder
         */
        public Builder optKeepLastFloat(boolean keep) {
            this.keepLastFloat = keep;
            return this;
        }

        /**
         * Adds a rule; rules apply in the order added, to layers still quantized.
         *
         * @param rule the rule
         * @return this builder
         */
        public Builder optRule(LayerRule rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public QuantizationConfig build() {
            return new QuantizationConfig(this);
        }
    }
}
