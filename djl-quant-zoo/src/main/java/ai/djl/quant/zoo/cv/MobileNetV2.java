package ai.djl.quant.zoo.cv;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.quant.nn.Relu6;
import java.util.Arrays;

/**
 * MobileNetV2 as in its paper (Sandler et al. 2018): a 3×3 first convolution, inverted residual
 * blocks (1×1 expansion by t, 3×3 depthwise, linear 1×1 projection; identity shortcut when the
 * stride is 1 and the widths match), a 1×1 convolution to 1280 channels, global average pooling and
 * a linear classifier, with ReLU6 and a width multiplier. Built from DJL containers only, so that
 * {@code Quantization.wrap} can rewrite every layer.
 *
 * <p>For 28×28 inputs the first convolution has stride 1 (the default); for 224×224 ImageNet
 * inputs use stride 2.
 */
public final class MobileNetV2 {

    /** The paper's stages: expansion t, channels c, repeats n, stride s. */
    private static final int[][] STAGES = {
        {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}
    };

    private MobileNetV2() {}

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static int scaled(int channels, float multiplier) {
        // the paper's rounding: to a multiple of 8, never below 90% of the scaled width
        int value = Math.max(8, (int) (channels * multiplier + 4) / 8 * 8);
        return value < 0.9 * channels * multiplier ? value + 8 : value;
    }

    /**
     * One inverted residual block.
     *
     * @param in input channels
     * @param out output channels
     * @param stride the depthwise stride
     * @param expansion t
     * @return the block
     */
    public static Block invertedResidual(int in, int out, int stride, int expansion) {
        int hidden = in * expansion;
        SequentialBlock body = new SequentialBlock();
        if (expansion != 1) {
            body.add(Convolutions.conv(hidden, 1, 1, 1)).add(BatchNorm.builder().build()).add(Relu6.block());
        }
        body.add(Convolutions.conv(hidden, 3, stride, hidden))
                .add(BatchNorm.builder().build())
                .add(Relu6.block())
                .add(Convolutions.conv(out, 1, 1, 1))
                .add(BatchNorm.builder().build());
        if (stride == 1 && in == out) {
            return new ParallelBlock(
                    list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                    Arrays.asList(body, Blocks.identityBlock()));
        }
        return body;
    }

    /** The builder of {@link MobileNetV2}. */
    public static final class Builder {

        private int classes = 10;
        private int firstStride = 1;
        private float widthMultiplier = 1f;

        Builder() {}

        /**
         * Sets the number of classes (10 by default).
         *
         * @param classes the classifier outputs
         * @return this builder
         */
        public Builder optClasses(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * Sets the stride of the 3×3 first convolution: 1 (default, 28×28) or 2 (224×224).
         *
         * @param stride 1 or 2
         * @return this builder
         */
        public Builder optFirstStride(int stride) {
            if (stride != 1 && stride != 2) {
                throw new IllegalArgumentException("first stride must be 1 or 2, got " + stride);
            }
            this.firstStride = stride;
            return this;
        }

        /**
         * Sets the width multiplier (1.0 by default).
         *
         * @param multiplier the multiplier, greater than 0
         * @return this builder
         */
        public Builder optWidthMultiplier(float multiplier) {
            if (!(multiplier > 0)) {
                throw new IllegalArgumentException("width multiplier must be positive, got " + multiplier);
            }
            this.widthMultiplier = multiplier;
            return this;
        }

        /**
         * Builds the network.
         *
         * @return the block
         */
        public SequentialBlock build() {
            int last = widthMultiplier > 1 ? scaled(1280, widthMultiplier) : 1280;
            return buildFeatures()
                    .add(Convolutions.conv(last, 1, 1, 1))
                    .add(BatchNorm.builder().build())
                    .add(Relu6.block())
                    .add(Pool.globalAvgPool2dBlock())
                    .add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(classes).build());
        }

        /**
         * Builds the feature extractor alone: the first convolution and the inverted residual
         * stages, without the final 1×1 convolution and classifier (a detection backbone). Its
         * output has {@link #featureChannels()} channels at stride 16 (first stride 1) or 32.
         *
         * @return the block
         */
        public SequentialBlock buildFeatures() {
            int in = scaled(32, widthMultiplier);
            SequentialBlock net =
                    new SequentialBlock()
                            .add(Convolutions.conv(in, 3, firstStride, 1))
                            .add(BatchNorm.builder().build())
                            .add(Relu6.block());
            for (int[] stage : STAGES) {
                int out = scaled(stage[1], widthMultiplier);
                SequentialBlock blocks = new SequentialBlock();
                for (int i = 0; i < stage[2]; i++) {
                    blocks.add(invertedResidual(in, out, i == 0 ? stage[3] : 1, stage[0]));
                    in = out;
                }
                net.add(blocks);
            }
            return net;
        }

        /**
         * Returns the channels of {@link #buildFeatures()}'s output.
         *
         * @return the last stage's width
         */
        public int featureChannels() {
            return scaled(STAGES[STAGES.length - 1][1], widthMultiplier);
        }
    }
}
