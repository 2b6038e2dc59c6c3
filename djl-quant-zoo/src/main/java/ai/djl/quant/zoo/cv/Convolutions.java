package ai.djl.quant.zoo.cv;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/** The convolution every architecture of the zoo is made of: square kernel, "same" padding, no bias. */
final class Convolutions {

    private Convolutions() {}

    /**
     * A bias-free convolution padded to keep the size at stride 1 (BatchNorm follows it).
     *
     * @param filters the output channels
     * @param kernel the kernel side
     * @param stride the stride
     * @param groups the groups (the channel count for a depthwise convolution)
     * @return the convolution
     */
    static Conv2d conv(int filters, int kernel, int stride, int groups) {
        int pad = kernel / 2;
        return Conv2d.builder()
                .setFilters(filters)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(pad, pad))
                .optGroups(groups)
                .optBias(false)
                .build();
    }
}
