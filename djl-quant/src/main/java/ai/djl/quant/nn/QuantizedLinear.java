package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import ai.djl.quant.quantizers.Quantizer;

/** A {@link Linear} layer with quantized weights and optionally a quantized input. */
public class QuantizedLinear extends QuantizedLayer {

    /**
     * Wraps a linear layer.
     *
     * @param linear the layer
     * @param weightQuantizer the weight quantizer (per output unit for weights)
     * @param inputQuantizer the input quantizer, or null
     * @param path the layer's path
     */
    public QuantizedLinear(
            Linear linear, Quantizer weightQuantizer, Quantizer inputQuantizer, String path) {
        super(linear, weightQuantizer, inputQuantizer, path);
    }

    @Override
    protected NDList apply(NDArray x, NDArray w, NDArray b) {
        return Linear.linear(x, w, b);
    }
}
