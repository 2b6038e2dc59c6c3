package ai.djl.quant.zoo.cv;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.Arrays;

/**
 * ResNet-18 (He et al. 2016): BasicBlock stages [2, 2, 2, 2] with widths 64-128-256-512, global
 * average pooling and a linear classifier, built only from DJL containers so that {@code
 * Quantization.wrap} can rewrite every layer.
 *
 * <p>Stems: for 28×28 inputs a 3×3 convolution with stride 2 (the default, ~0.9 s per training step
 * of 128 on 2 cores) or stride 1 (~3 s); for 224×224 ImageNet inputs the 7×7 stride-2 convolution
 * and 3×3 max-pool of the paper. Block paths: {@code 01Conv2d} is the stem, {@code
 * 0kSequentialBlock} the residual units, each a {@code ParallelBlock} whose 3×3 convolutions sit
 * in its first branch and whose 1×1 downsample (if any) in its second.
 */
public final class ResNet18 {

    private ResNet18() {}

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A BasicBlock: two 3×3 conv-BN(-ReLU) layers plus an identity or 1×1 conv-BN shortcut.
     *
     * @param filters the output channels
     * @param stride the stride of the first convolution and of the shortcut
     * @param downsample whether the shortcut needs a 1×1 projection
     * @return the residual unit
     */
    public static Block basicBlock(int filters, int stride, boolean downsample) {
        SequentialBlock main =
                new SequentialBlock()
                        .add(Convolutions.conv(filters, 3, stride, 1))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock())
                        .add(Convolutions.conv(filters, 3, 1, 1))
                        .add(BatchNorm.builder().build());
        Block shortcut =
                downsample
                        ? new SequentialBlock().add(Convolutions.conv(filters, 1, stride, 1)).add(BatchNorm.builder().build())
                        : Blocks.identityBlock();
        return new SequentialBlock()
                .add(
                        new ParallelBlock(
                                list ->
                                        new NDList(
                                                list.get(0)
                                                        .singletonOrThrow()
                                                        .add(list.get(1).singletonOrThrow())),
                                Arrays.asList(main, shortcut)))
                .add(Activation.reluBlock());
    }

    /** The builder of {@link ResNet18}. */
    public static final class Builder {

        private int classes = 10;
        private int stemStride = 2;
        private boolean imagenetStem;
        private int[] widths = {64, 128, 256, 512};

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
         * Sets the stride of the 3×3 stem for small inputs: 2 (default) or 1.
         *
         * @param stride 1 or 2
         * @return this builder
         */
        public Builder optStemStride(int stride) {
            if (stride != 1 && stride != 2) {
                throw new IllegalArgumentException("stem stride must be 1 or 2, got " + stride);
            }
            this.stemStride = stride;
            return this;
        }

        /**
         * Uses the ImageNet stem (7×7 stride 2 and max-pool) for 224×224 inputs.
         *
         * @param imagenet true for the ImageNet shape
         * @return this builder
         */
        public Builder optImageNetStem(boolean imagenet) {
            this.imagenetStem = imagenet;
            return this;
        }

        /**
         * Scales the stage widths (64-128-256-512 by default) for quick experiments.
         *
         * @param base the first stage's width; the others double
         * @return this builder
         */
        public Builder optBaseWidth(int base) {
            this.widths = new int[] {base, 2 * base, 4 * base, 8 * base};
            return this;
        }

        /**
         * Builds the network.
         *
         * @return the block
         */
        public SequentialBlock build() {
            SequentialBlock net = new SequentialBlock();
            if (imagenetStem) {
                net.add(Convolutions.conv(widths[0], 7, 2, 1))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock())
                        .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
            } else {
                net.add(Convolutions.conv(widths[0], 3, stemStride, 1))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock());
            }
            int in = widths[0];
            for (int stage = 0; stage < widths.length; stage++) {
                int stride = stage == 0 ? 1 : 2;
                SequentialBlock units = new SequentialBlock();
                units.add(basicBlock(widths[stage], stride, stride != 1 || in != widths[stage]));
                units.add(basicBlock(widths[stage], 1, false));
                net.add(units);
                in = widths[stage];
            }
            return net.add(Pool.globalAvgPool2dBlock())
                    .add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(classes).build());
        }
    }
}
