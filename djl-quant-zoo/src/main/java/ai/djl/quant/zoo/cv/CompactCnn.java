package ai.djl.quant.zoo.cv;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

/**
 * A five-convolution CNN for 28×28 inputs (32-32/2-64-64/2-128, 3×3, BatchNorm, ReLU, global
 * average pool, linear), about 0.2M parameters: small enough to train on Fashion-MNIST in a
 * minute per epoch on 2 cores, for quick starts and end-to-end tests.
 */
public final class CompactCnn {

    private CompactCnn() {}

    /**
     * Builds the network.
     *
     * @param classes the number of classes
     * @return the block
     */
    public static SequentialBlock build(int classes) {
        SequentialBlock net = new SequentialBlock();
        int[][] layers = {{32, 1}, {32, 2}, {64, 1}, {64, 2}, {128, 1}};
        for (int[] layer : layers) {
            net.add(
                            Conv2d.builder()
                                    .setFilters(layer[0])
                                    .setKernelShape(new Shape(3, 3))
                                    .optStride(new Shape(layer[1], layer[1]))
                                    .optPadding(new Shape(1, 1))
                                    .optBias(false)
                                    .build())
                    .add(BatchNorm.builder().build())
                    .add(Activation.reluBlock());
        }
        return net.add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(classes).build());
    }
}
