package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.quant.quantizers.Quantizer;

/**
 * A {@link Conv2d} with quantized weights and optionally a quantized input: {@code y =
 * conv2d(Qa(x), Qw(W), b)} with the original stride, padding, dilation and groups.
 */
public class QuantizedConv2d extends QuantizedLayer {

    private final Conv2d conv;

    /**
     * Wraps a convolution.
     *
     * @param conv the convolution
     * @param weightQuantizer the weight quantizer (per output channel for weights)
     * @param inputQuantizer the input quantizer, or null
     * @param path the layer's path
     */
    public QuantizedConv2d(
            Conv2d conv, Quantizer weightQuantizer, Quantizer inputQuantizer, String path) {
        super(conv, weightQuantizer, inputQuantizer, path);
        this.conv = conv;
    }

    @Override
    protected NDList apply(NDArray x, NDArray w, NDArray b) {
        return Conv2d.conv2d(
                x, w, b, conv.getStride(), conv.getPadding(), conv.getDilation(), conv.getGroups());
    }
}
