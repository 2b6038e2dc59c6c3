package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Learned-step fake quantization with few passes over memory, reached from DJL through a {@link
 * TorchScriptKernel} (DJL's PyTorch binding exposes no fake-quantize operator).
 *
 * <p>PyTorch's fused kernels, {@code torch._fake_quantize_learnable_per_channel_affine} and
 * {@code _per_tensor_affine}, are scalar code (9–12 ns per element forward and backward).
 * Here the same values and gradients come from a chain of vectorised operations, {@code y = x·m +
 * s_g·a} with {@code v = x/s}, {@code q = clamp(round(v), Qn, Qp)}, {@code m = [round(v) = q]},
 * {@code a = sg(q - v·m)} and {@code s_g} the step with its gradient scaled by {@code g}: {@code
 * dy/dx = m}, {@code dy/ds = g·a}, about eight passes in all (the step time of a wrapped ResNet18
 * fell by about a tenth). With the project's native operator ({@link NativeKernels}) {@code m} and
 * {@code a} come from one pass instead of six, bit for bit the same (a W4A4 ResNet18 step,
 * stride-2 stem, batch 64: 1.37 → 1.25 times fp32 in one A/B run, the weights' chain). For the
 * activations (per tensor) the native chain replaced PyTorch's kernel later (1.18 → 1.10 in one
 * A/B run on an AVX2 machine); without the native library they keep PyTorch's kernel. The forward
 * value is {@code q·s} to within rounding of the last bit; hard mode computes {@code q·s} exactly.
 *
 * <p>The gradients are LSQ's with one difference at the range ends: an input within half a step
 * beyond {@code Qp·s} (or {@code Qn·s}) rounds to the end level and is counted inside (gradient 1,
 * step gradient {@code round(x/s) - x/s}), where the element-wise LSQ clips first. The levels
 * chosen are the same. Used by {@link LearnedStepQuantizer} on uniform level sets with the PyTorch engine;
 * {@code -Ddjl.quant.fused=false} turns it off; {@code -Ddjl.quant.nativePerTensor=false} (read on
 * every call, for benchmarks) keeps PyTorch's per-tensor kernel for activations.
 */
final class FusedFakeQuantize {

    private static final String CODE =
            "class FakeQuant(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.FakeQuant,\n"
                    + "    x: Tensor,\n"
                    + "    scale: Tensor,\n"
                    + "    settings: Tensor) -> Tensor:\n"
                    + "    qmin = int(settings[0])\n"
                    + "    qmax = int(settings[1])\n"
                    + "    axis = int(settings[2])\n"
                    + "    g = float(settings[3])\n"
                    + "    if torch.eq(axis, -1):\n"
                    + "      s = torch.reshape(scale, [-1])\n"
                    + "      zp = torch.zeros_like(s)\n"
                    + "      return torch._fake_quantize_learnable_per_tensor_affine(x, s, zp, qmin, qmax, g)\n"
                    // per channel: y = x·m + s_g·a, a = sg(q - v·m), v = x/s, q = clamp(round(v)),
                    // m = [round(v) in range], s_g = s with gradient g: d/dx = m, d/ds = g·a
                    + "    v = torch.div(torch.detach(x), torch.detach(scale))\n"
                    + "    r = torch.round(v)\n"
                    + "    q = torch.clamp(r, float(qmin), float(qmax))\n"
                    + "    m = torch.type_as(torch.eq(r, q), x)\n"
                    + "    a = torch.addcmul_(q, v, m, value=-1)\n"
                    + "    sg = torch.add(torch.mul(scale, g), torch.detach(torch.mul(scale, 1.0 - g)))\n"
                    + "    return torch.addcmul(torch.mul(x, m), sg, a)\n";

    private static final TorchScriptKernel KERNEL = new TorchScriptKernel("FakeQuant", CODE);

    /** The chain (per channel or per tensor) with {@code m} and {@code a} from one native pass ({@link NativeKernels}). */
    private static final String NATIVE_CODE =
            "class NativeFakeQuant(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.NativeFakeQuant,\n"
                    + "    x: Tensor,\n"
                    + "    scale: Tensor,\n"
                    + "    settings: Tensor) -> Tensor:\n"
                    + "    qmin = int(settings[0])\n"
                    + "    qmax = int(settings[1])\n"
                    + "    g = float(settings[3])\n"
                    + "    m, a = ops.djl_quant.lsq_coefficients(torch.contiguous(torch.detach(x)), torch.contiguous(torch.detach(scale)), qmin, qmax)\n"
                    + "    sg = torch.add(torch.mul(scale, g), torch.detach(torch.mul(scale, 1.0 - g)))\n"
                    + "    return torch.addcmul(torch.mul(x, m), sg, a)\n";

    private static final TorchScriptKernel NATIVE = new TorchScriptKernel("NativeFakeQuant", NATIVE_CODE);

    private FusedFakeQuantize() {}

    /**
     * Applies the fused kernel, or returns null when it is unavailable.
     *
     * @param x the input
     * @param step the step, shape (1) or (C, 1, …)
     * @param qn the lowest level
     * @param qp the highest level
     * @param perChannel whether the step is per channel (axis 0)
     * @param gradScale the factor of the step's gradient
     * @return the fake-quantized tensor, or null
     */
    static NDArray apply(NDArray x, NDArray step, int qn, int qp, boolean perChannel, double gradScale) {
        NDArray settings = x.getManager().create(new float[] {qn, qp, perChannel ? 0 : -1, (float) gradScale});
        boolean nativeChain = perChannel || Boolean.parseBoolean(System.getProperty("djl.quant.nativePerTensor", "true"));
        if (nativeChain && x.getDataType() == DataType.FLOAT32 && step.getDataType() == DataType.FLOAT32
                && !x.getDevice().isGpu() && NativeKernels.isEnabled()) {
            NDArray y = NATIVE.apply(x, step, settings);
            if (y != null) {
                return y;
            }
        }
        return KERNEL.apply(x, step, settings);
    }
}
