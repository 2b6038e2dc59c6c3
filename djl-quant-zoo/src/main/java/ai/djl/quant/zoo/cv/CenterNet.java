package ai.djl.quant.zoo.cv;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.quant.LayerRule;
import ai.djl.quant.LayerSelector;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.initializer.XavierInitializer;
import java.util.Arrays;
import java.util.List;

/**
 * CenterNet ("Objects as Points", Zhou et al. 2019) on a MobileNetV2 backbone: the backbone's
 * stride-32 features are up-sampled three times (nearest ×2, then a 3×3 convolution with BatchNorm
 * and ReLU: the resize-convolution form of the paper's transposed convolutions, which DJL's
 * PyTorch engine lacks) to stride 4, where three heads (3×3 convolution, ReLU, 1×1 convolution)
 * predict a class heat map, the box size and the sub-pixel centre offset.
 *
 * <p>The output is one tensor (N, classes + 4, H/4, W/4): heat-map logits, then width and height,
 * then x and y offset, all in output-pixel units.
 */
public final class CenterNet {

    /** The output stride. */
    public static final int STRIDE = 4;

    /** Initial heat-map bias: sigmoid(-2.19) ≈ 0.1, so the focal loss starts stable. */
    public static final float HEATMAP_PRIOR = -2.19f;

    private CenterNet() {}

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Sets the bias of the heat-map head's output convolution to {@link #HEATMAP_PRIOR}; call after
     * initialization. Only the output layer takes the prior: the head's hidden 3×3 convolution feeds
     * a ReLU, and a bias of -2.19 there would start most of its units dead.
     *
     * @param net an initialized CenterNet (wrapped or not)
     * @throws IllegalArgumentException when {@code net} has no heat-map head
     */
    public static void initializeHeatmapPrior(Block net) {
        Block output = heatmapOutput(net);
        if (output == null) {
            throw new IllegalArgumentException("no '" + HEATMAP + "' head in " + net.getClass().getSimpleName()
                    + ": initializeHeatmapPrior needs a network built by CenterNet.builder()");
        }
        for (var pair : output.getParameters()) {
            if (pair.getKey().endsWith("bias")) {
                Parameter p = pair.getValue();
                float[] prior = new float[Math.toIntExact(p.getArray().size())];
                Arrays.fill(prior, HEATMAP_PRIOR);
                ParameterValues.overwrite(p, prior);
            }
        }
    }

    /** The last child of the heat-map head (its output convolution), searched depth first. */
    private static Block heatmapOutput(Block block) {
        for (var child : block.getChildren()) {
            if (child.getKey().endsWith(HEATMAP)) {
                var layers = child.getValue().getChildren();
                return layers.get(layers.size() - 1).getValue();
            }
            Block found = heatmapOutput(child.getValue());
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /**
     * The rule that keeps the heads' output convolutions float (heat-map logits, sizes and offsets
     * need their range), for wrapping configurations of a CenterNet.
     *
     * @return the rule
     */
    public static LayerRule headOutputsFloat() {
        return LayerRule.keepFloat(LayerSelector.pathMatches(".*Heads/[^/]+/03Conv2d"));
    }

    private static final String HEATMAP = "heatmap";

    /** The builder of {@link CenterNet}. */
    public static final class Builder {

        private int classes = 10;
        private float widthMultiplier = 1f;
        private int[] neck = {128, 64, 64};
        private int headChannels = 64;

        Builder() {}

        /**
         * Sets the number of classes (10 by default).
         *
         * @param classes heat-map channels
         * @return this builder
         */
        public Builder optClasses(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * Sets the backbone's width multiplier.
         *
         * @param multiplier greater than 0
         * @return this builder
         */
        public Builder optWidthMultiplier(float multiplier) {
            this.widthMultiplier = multiplier;
            return this;
        }

        /**
         * Sets the channels of the three up-sampling stages ({128, 64, 64} by default).
         *
         * @param channels three widths
         * @return this builder
         */
        public Builder optNeck(int... channels) {
            if (channels.length != 3) {
                throw new IllegalArgumentException("the neck has three up-sampling stages, got " + channels.length);
            }
            this.neck = channels.clone();
            return this;
        }

        /**
         * Builds the network. Every weight is initialised uniformly in ±1/√fan_in (PyTorch's default for
         * convolutions) rather than DJL's default average-fan Xavier, which draws the depthwise 3×3
         * kernels 3–9× smaller (more in wider layers); under Adam their relative steps are then far
         * too large. In the PyTorch port of the recipe ({@code dev/device/centernet_variants.py}, 30 000
         * scenes × 10 passes, two seeds) that init alone costs 5–7 points of mAP@.5 (0.74–0.76 vs 0.80–0.81).
         *
         * @return the block
         */
        public SequentialBlock build() {
            SequentialBlock net = MobileNetV2.builder().optFirstStride(2).optWidthMultiplier(widthMultiplier).buildFeatures();
            for (int channels : neck) {
                net.add(upsample())
                        .add(Convolutions.conv(channels, 3, 1, 1))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock());
            }
            net.add(new Heads(head(classes), head(2), head(2)));
            net.setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.IN, 1f),
                    Parameter.Type.WEIGHT);
            return net;
        }

        /** Nearest-neighbour ×2 up-sampling (DJL's PyTorch engine has no transposed convolution). */
        private static Block upsample() {
            return new LambdaBlock(x -> new NDList(x.singletonOrThrow().repeat(2, 2).repeat(3, 2)), "upsample2x");
        }

        private Block head(int outputs) {
            return new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(headChannels).optPadding(new Shape(1, 1)).build())
                    .add(Activation.reluBlock())
                    .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(outputs).build());
        }
    }

    /** The three heads side by side, outputs concatenated along channels, branches named. */
    private static final class Heads extends ParallelBlock {
        Heads(Block heatmap, Block size, Block offset) {
            super(branches -> new NDList(NDArrays.concat(new NDList(branches.stream().map(NDList::singletonOrThrow).toList()), 1)),
                    List.of());
            addChildBlock(HEATMAP, heatmap);
            addChildBlock("size", size);
            addChildBlock("offset", offset);
        }
    }
}
