package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * {@link ShiftQuantizer} in training with few passes over memory: the project's native operators
 * ({@link NativeKernels}) compute the levels and the blend's constant part in one pass (two for
 * weights, whose moments come first), and autograd sees one operation: a fused multiply-add
 * ({@code addcmul}) for weights, an in-place add for activations.
 *
 * <p>Weights ({@code djl_quant::shift_weight}): per output channel the centre {@code μ} and spread
 * {@code σ} of {@code W}, {@code gain = σ0/σ} and {@code q = 3σ0·Q((W-μ)/3σ)}, then
 *
 * <ul>
 *   <li>gradient scaling (gradient 1): {@code y = gain·W + sg((1-λ)(q - gain·W) - λ·gain·μ)},
 *   <li>gradient λ: {@code y = λ·gain·W + sg((1-λ)q - λ·gain·μ)}.
 * </ul>
 *
 * <p>Activations ({@code djl_quant::shift_levels}), on the normalised input {@code x̂}: {@code q =
 * 3·Q(x̂/3)} and {@code y = x̂ + sg((1-λ)(q - x̂))}, or {@code y = λx̂ + sg((1-λ)q)}. With gradient
 * scaling {@code djl_quant::shift_levels_} writes that {@code y} over {@code x̂} in the same pass and
 * autograd sees no operation at all: {@code x̂} already has the gradient 1, and the BatchNorm that
 * made it saved its input, not its output. That saves a full-size tensor and an add per layer.
 *
 * <p>These are the values and gradients of the quantizer's PyTorch-operation chain ({@code dy/dW
 * = σ0/σ} or {@code λσ0/σ}, {@code dy/dx̂ = 1} or {@code λ}), which takes about twelve full-size
 * operations for weights and nine for activations. Two differences, both in the last bit: the
 * moments are summed in double (the chain sums in float), and the level's exponent is read from
 * the float's bits where the chain takes a float {@code log2}, which can round a value just above
 * a power of two onto it and so one level too low under ceiling rounding. Training only: hard
 * mode, export and codebooks keep the chain, so a deployed model's levels do not depend on whether
 * the library loaded.
 */
final class FusedShiftQuantize {

    /** The operators' mode that returns {@code q} alone (tests check the levels with it). */
    static final int HARD = 0;
    /** The operators' mode for gradient scaling. */
    static final int SCALED = 1;
    /** The operators' mode for gradient λ. */
    static final int LAMBDA = 2;

    private static final String HEADER =
            "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n";

    private static final TorchScriptKernel WEIGHTS = new TorchScriptKernel("ShiftWeight",
            "class ShiftWeight(Module):\n"
                    + HEADER
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
                    // one fused multiply-add: one full-size allocation forward, one multiply backward
                    + "    if torch.eq(mode, 1):\n"
                    + "      return torch.addcmul(out, x, gain)\n"
                    + "    return torch.addcmul(out, x, gain, value=lam)\n");

    private static final TorchScriptKernel ACTIVATIONS = new TorchScriptKernel("ShiftLevels",
            "class ShiftLevels(Module):\n"
                    + HEADER
                    + "  def forward(self: __torch__.ShiftLevels,\n"
                    + "    x: Tensor,\n"
                    + "    settings: Tensor) -> Tensor:\n"
                    + "    lam = float(settings[0])\n"
                    + "    mode = int(settings[1])\n"
                    // gradient scaling: the blend's value over x̂ itself, whose gradient is already 1
                    + "    if torch.eq(mode, 1) and torch.is_contiguous(x):\n"
                    + "      _ = ops.djl_quant.shift_levels_(torch.detach(x), lam, int(settings[2]), int(settings[3]), float(settings[4]))\n"
                    + "      return x\n"
                    + "    out = ops.djl_quant.shift_levels(torch.contiguous(torch.detach(x)), lam, mode, int(settings[2]),"
                    + " int(settings[3]), float(settings[4]))\n"
                    + "    if torch.eq(mode, 0):\n"
                    + "      return out\n"
                    // in place on the constant part, a fresh tensor no backward function keeps
                    + "    if torch.eq(mode, 1):\n"
                    + "      return torch.add_(out, x)\n"
                    + "    return torch.add_(out, x, alpha=lam)\n");

    private FusedShiftQuantize() {}

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
    static NDArray weights(NDArray w, NDArray sigma0, float lambda, int mode, boolean shiftGrid, boolean nearest, float bound,
            boolean centered) {
        if (!usable(w) || sigma0.getDataType() != DataType.FLOAT32) {
            return null;
        }
        NDArray settings = w.getManager().create(new float[] {lambda, mode, shiftGrid ? 1 : 0, nearest ? 1 : 0, bound, centered ? 1 : 0});
        return WEIGHTS.apply(w, sigma0, settings);
    }

    /**
     * Applies the fused activation path to the normalised input, or returns null when the native
     * operator is unavailable here. With gradient scaling the result is {@code xhat} itself,
     * overwritten.
     *
     * @param xhat the normalised input {@code x̂}: a fresh tensor that no backward function saved
     * @param lambda λ
     * @param mode {@link #SCALED}, {@link #LAMBDA} or {@link #HARD}
     * @param shiftGrid the shift grid (true) or the uniform grid
     * @param nearest nearest rounding (true) or ceiling
     * @param bound the grid's smallest exponent {@code -(2^s-1)}, or its number of positive levels
     * @return the quantized input, or null
     */
    static NDArray activations(NDArray xhat, float lambda, int mode, boolean shiftGrid, boolean nearest, float bound) {
        if (!usable(xhat)) {
            return null;
        }
        NDArray settings = xhat.getManager().create(new float[] {lambda, mode, shiftGrid ? 1 : 0, nearest ? 1 : 0, bound});
        return ACTIVATIONS.apply(xhat, settings);
    }

    private static boolean usable(NDArray x) {
        return x.getDataType() == DataType.FLOAT32 && !x.getDevice().isGpu() && NativeKernels.isEnabled();
    }
}
