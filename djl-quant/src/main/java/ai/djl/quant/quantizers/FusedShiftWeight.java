package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The shift quantizer's weight path in one native pass over the weights (the project's operator
 * {@code djl_quant::shift_weight}, {@link NativeKernels}) and two graph operations: per output
 * channel the centre {@code μ} and spread {@code σ} of {@code W}, {@code gain = σ0/σ} and {@code q
 * = 3σ0·Q((W-μ)/3σ)}, then
 *
 * <ul>
 *   <li>gradient scaling (gradient 1): {@code y = gain·W + sg((1-λ)(q - gain·W) - λ·gain·μ)},
 *   <li>gradient λ: {@code y = λ·gain·W + sg((1-λ)q - λ·gain·μ)},
 * </ul>
 *
 * <p>the values and gradients of {@link ShiftQuantizer}'s PyTorch-operation chain ({@code dy/dW =
 * σ0/σ}, or {@code λσ0/σ}), which takes about twelve full-size operations where this takes one
 * native pass and two. Two differences, both in the last bit: the moments are summed in double
 * (the chain sums in float), and the level's exponent is read from the float's bits where the
 * chain takes a float {@code log2}, which can round a value just above a power of two onto it and
 * so one level too low under ceiling rounding. Used in training only: hard mode, export and
 * codebooks keep the chain, so a deployed model's levels do not depend on whether the library
 * loaded.
 */
final class FusedShiftWeight {

    /** The operator's mode that returns {@code q} alone (tests check the levels with it). */
    static final int HARD = 0;
    /** The operator's mode for gradient scaling. */
    static final int SCALED = 1;
    /** The operator's mode for gradient λ. */
    static final int LAMBDA = 2;

    private static final TorchScriptKernel KERNEL = new TorchScriptKernel("ShiftWeight",
            "class ShiftWeight(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.ShiftWeight,\n"
                    + "    x: Tensor,\n"
                    + "    sigma0: Tensor,\n"
                    + "    settings: Tensor) -> Tensor:\n"
                    + "    lam = float(settings[0])\n"
                    + "    mode = int(settings[1])\n"
                    + "    gain, out = ops.djl_quant.shift_weight(torch.contiguous(torch.detach(x)), torch.contiguous(torch.detach(sigma0)),"
                    + " lam, mode, int(settings[2]), int(settings[3]), float(settings[4]), int(settings[5]))\n"
                    + "    if torch.eq(mode, 0):\n"
                    + "      return out\n"
                    // in place on the product, which no backward function keeps: one allocation less
                    + "    if torch.eq(mode, 1):\n"
                    + "      return torch.add_(torch.mul(x, gain), out)\n"
                    + "    return torch.add_(torch.mul_(torch.mul(x, gain), lam), out)\n");

    private FusedShiftWeight() {}

    /**
     * Applies the fused weight path, or returns null when the native operator is unavailable here.
     *
     * @param w the weights, output channels first
     * @param sigma0 the frozen spreads, one per output channel or one for the tensor
     * @param lambda λ
     * @param mode {@link #SCALED}, {@link #LAMBDA} or {@link #HARD}
     * @param shiftGrid the shift grid (true) or the uniform grid
     * @param nearest nearest rounding (true) or ceiling
     * @param bound the grid's smallest exponent {@code -(2^s-1)}, or its number of positive levels
     * @param centered whether {@code μ} is the mean (true) or 0 with {@code σ} the root mean square
     * @return the quantized weights, or null
     */
    static NDArray apply(NDArray w, NDArray sigma0, float lambda, int mode, boolean shiftGrid, boolean nearest, float bound, boolean centered) {
        if (w.getDataType() != DataType.FLOAT32 || sigma0.getDataType() != DataType.FLOAT32 || w.getDevice().isGpu()
                || !NativeKernels.isEnabled()) {
            return null;
        }
        NDArray settings = w.getManager().create(new float[] {lambda, mode, shiftGrid ? 1 : 0, nearest ? 1 : 0, bound, centered ? 1 : 0});
        return KERNEL.apply(w, sigma0, settings);
    }
}
