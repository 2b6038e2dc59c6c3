package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.quant.nn.GraphConstants;

/**
 * The gradient tricks every quantizer is built from, as pure {@link NDArray} functions.
 *
 * <p>They only use {@code stopGradient}, so any engine's autograd differentiates them.
 */
public final class StraightThrough {

    private StraightThrough() {}

    /**
     * Straight-through estimator: {@code ste(x, q) = x + stopGradient(q - x)}.
     *
     * @param x the differentiable input
     * @param q the value to forward (a function of {@code x} whose gradient is ignored)
     * @return an array with the value of {@code q} and gradient 1 with respect to {@code x}
     */
    public static NDArray ste(NDArray x, NDArray q) {
        return x.add(q.sub(x).stopGradient());
    }

    /**
     * Gradient scaling: {@code gradScale(x, g) = x·g + stopGradient(x - x·g)}.
     *
     * @param x the input
     * @param g the factor applied to the gradient only
     * @return an array with the value of {@code x} and gradient {@code g}
     */
    public static NDArray gradScale(NDArray x, double g) {
        if (g == 1.0) {
            return x;
        }
        NDArray scaled = GraphConstants.mul(x, g);
        return scaled.add(x.sub(scaled).stopGradient());
    }
}
