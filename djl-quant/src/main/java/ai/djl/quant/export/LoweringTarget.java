package ai.djl.quant.export;

import ai.djl.quant.quantizers.Quantizer;
import java.util.List;

/**
 * The operations a model is lowered to by {@link ModelLowering}: what the ONNX exporter writes and
 * the integer engine executes. {@code T} is the target's handle for a tensor.
 *
 * @param <T> the tensor handle
 */
public interface LoweringTarget<T> {

    /**
     * {@code max(x, 0)}.
     *
     * @param x the input
     * @return the output
     */
    T relu(T x);

    /**
     * {@code min(max(x, 0), 6)}.
     *
     * @param x the input
     * @return the output
     */
    T relu6(T x);

    /**
     * Mean over the spatial axes of (N, C, H, W), giving (N, C).
     *
     * @param x the input
     * @return the output
     */
    T globalAveragePool(T x);

    /**
     * Reshapes to (N, features).
     *
     * @param x the input
     * @return the output
     */
    T flatten(T x);

    /**
     * Element-wise sum of same-shaped tensors.
     *
     * @param xs the inputs
     * @return the output
     */
    T sum(List<T> xs);

    /**
     * Concatenation along the channel axis.
     *
     * @param xs the inputs
     * @return the output
     */
    T concat(List<T> xs);

    /**
     * Inference-mode batch normalisation over axis 1: {@code γ(x - μ)/√(σ² + ε) + β}.
     *
     * @param x the input
     * @param bn the statistics and affine parameters
     * @return the output
     */
    T batchNorm(T x, BatchNormValues bn);

    /**
     * Fake quantization on a grid of integer levels: {@code m·s}, {@code m} the level nearest to
     * {@code clip(x/s, min, max)}.
     *
     * @param x the input
     * @param grid the grid (uniform unless {@link #runsLevelSets()})
     * @return the output (an integer tensor with scale {@code s}, for targets that keep integers)
     */
    T quantize(T x, Quantizer.IntegerGrid grid);

    /**
     * Returns whether {@link #quantize} accepts non-uniform level sets such as n-hot levels.
     *
     * @return false for targets that only express uniform grids (ONNX QuantizeLinear)
     */
    default boolean runsLevelSets() {
        return false;
    }

    /**
     * A 2-D convolution with bias.
     *
     * @param x the input
     * @param weights the weights (integer codes or float)
     * @param bias the bias per output channel, or null
     * @param geometry kernel, stride, padding, dilation, groups
     * @return the output
     */
    T conv(T x, LayerWeights weights, float[] bias, ConvGeometry geometry);

    /**
     * A fully connected layer {@code x·Wᵀ + b}.
     *
     * @param x the input (N, in)
     * @param weights the weights (out, in)
     * @param bias the bias, or null
     * @return the output
     */
    T linear(T x, LayerWeights weights, float[] bias);

    /**
     * A convolution's geometry.
     *
     * @param kernel kernel height and width
     * @param stride strides
     * @param padding zero padding per axis (both sides)
     * @param dilation dilations
     * @param groups groups
     */
    record ConvGeometry(long[] kernel, long[] stride, long[] padding, long[] dilation, int groups) {}

    /**
     * Batch normalisation in inference mode.
     *
     * @param gamma the scale
     * @param beta the shift
     * @param mean the running mean
     * @param variance the running variance
     * @param epsilon the epsilon
     */
    record BatchNormValues(float[] gamma, float[] beta, float[] mean, float[] variance, float epsilon) {}
}
