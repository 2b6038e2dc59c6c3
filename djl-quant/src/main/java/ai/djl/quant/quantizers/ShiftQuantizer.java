package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The differentiable, bit-shifting shift quantizer (Badar 2025, arXiv 2510.16088).
 *
 * <p>Level sets (no zero level in either):
 *
 * <ul>
 *   <li>shift grid, {@code s} shift bits (1 sign bit + s bits): {@code ±2^e}, {@code e ∈ {0, -1, …,
 *       -(2^s - 1)}}. s=0 is binary ±1.
 *   <li>uniform grid, q bits: {@code ±k/2^(q-1)}, {@code k = 1 … 2^(q-1)}.
 * </ul>
 *
 * <p>Rounding of magnitudes: {@link Rounding#CEIL} (the reference: {@code e = clip(ceil(log2|x|),
 * -(2^s-1), 0)}) or {@link Rounding#NEAREST} in the log domain (ours). The sign is {@code x}'s sign
 * bit: {@code +0} maps to the smallest positive level, {@code -0} to the smallest negative one.
 *
 * <p>Differentiable forward {@code q_λ(x) = λ·x + (1-λ)·Q(x)}; with gradient scaling {@code y = x +
 * stopGradient((1-λ)(Q(x) - x))} (gradient 1), without it {@code y = λ·x + stopGradient((1-λ)Q(x))}
 * (gradient λ). λ is set from outside, usually by a {@code LambdaScheduleListener}; deploy mode is
 * {@code λ = 0} with no gradient machinery.
 *
 * <ul>
 *   <li>Weights (per output channel c): {@code 3σ0_c · q_λ((W - μ_c)/(3σ_c))}, with {@code μ_c,
 *       σ_c} (unbiased) computed without gradient and {@code σ0_c} the std of the weights when the
 *       quantizer was calibrated (the pretrained ones), saved with the model and not trained. The
 *       weight gradient is therefore {@code σ0_c/σ_c} times the upstream gradient (with scaling).
 *   <li>Weights, uncentered ({@code optCentered(false)}, ours): {@code 3ρ0_c · q_λ(W/(3ρ_c))} with
 *       {@code ρ_c = sqrt(mean(W_c²))} the per-channel root mean square. The reference drops each
 *       channel's mean, harmless for wide 3×3 convolutions but not for depthwise kernels of 9 weights
 *       whose mean is their low-pass part: removing it from a MobileNetV2 base costs it all its accuracy.
 *   <li>Activations: an affine-free BatchNorm (child of this quantizer, running statistics at
 *       inference) then {@code 3·q_λ(x̂/3)}, signed, no learned clip.
 * </ul>
 */
public class ShiftQuantizer extends Quantizer {

    /** The clip in standard deviations: levels span {@code ±3σ} (weights {@code ±3σ0}). */
    private static final float CLIP_SIGMAS = 3f;

    /** How magnitudes are rounded to the level set. */
    public enum Rounding {
        /** Round magnitudes up, as the reference implementation does. */
        CEIL,
        /** Round to the nearest level, in the log domain for the shift grid (ours). */
        NEAREST
    }

    /** The two level sets. */
    public enum Grid {
        /** Signed powers of two. */
        SHIFT,
        /** Signed uniform levels without zero. */
        UNIFORM
    }

    /** The largest number of shift bits supported: exponents down to -15. */
    public static final int MAX_SHIFT_BITS = 4;

    private final Grid grid;
    private final Rounding rounding;
    private final boolean gradientScaling;
    private final boolean centered;
    private final Parameter sigma0;
    private final BatchNorm norm;
    private float lambda = 1f;

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected ShiftQuantizer(Builder builder) {
        super(builder);
        grid = builder.grid;
        rounding = builder.rounding;
        gradientScaling = builder.gradientScaling;
        centered = builder.centered;
        if (!signed) {
            throw new IllegalArgumentException(
                    "ShiftQuantizer is signed by design (activations are batch-normalised first).");
        }
        if (role == QuantizerRole.WEIGHT) {
            sigma0 = addScaleParameter("sigma0", false);
            norm = null;
        } else {
            sigma0 = null;
            norm = addChildBlock("norm", BatchNorm.builder().optCenter(false).optScale(false).build());
        }
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A spec for the shift grid with {@code s} shift bits ({@code s + 1} bits in all), ceiling
     * rounding and gradient scaling, as in the reference.
     *
     * @param shiftBits s, 0 to 4
     * @return the spec
     */
    public static QuantizerSpec shiftSpec(int shiftBits) {
        return shiftSpec(shiftBits, true);
    }

    /**
     * A spec for the shift grid with {@code s} shift bits, ceiling rounding and gradient scaling,
     * with or without the per-channel centering of the weights.
     *
     * @param shiftBits s, 0 to 4
     * @param centered true for the reference {@code (W - μ)/(3σ)}, false for {@code W/(3ρ)}
     * @return the spec
     */
    public static QuantizerSpec shiftSpec(int shiftBits, boolean centered) {
        return spec(Grid.SHIFT, shiftBits + 1, Rounding.CEIL, true, centered);
    }

    /**
     * A spec for the uniform grid with {@code bits} bits, ceiling rounding and gradient scaling.
     *
     * @param bits q, 1 to 16
     * @return the spec
     */
    public static QuantizerSpec uniformSpec(int bits) {
        return spec(Grid.UNIFORM, bits, Rounding.CEIL, true);
    }

    /**
     * A spec with every option.
     *
     * @param grid the level set
     * @param bits the total bits (sign included)
     * @param rounding the rounding of magnitudes
     * @param gradientScaling true for gradient 1, false for gradient λ
     * @return the spec
     */
    public static QuantizerSpec spec(Grid grid, int bits, Rounding rounding, boolean gradientScaling) {
        return spec(grid, bits, rounding, gradientScaling, true);
    }

    /**
     * A spec with every option, centering included.
     *
     * @param grid the level set
     * @param bits the total bits (sign included)
     * @param rounding the rounding of magnitudes
     * @param gradientScaling true for gradient 1, false for gradient λ
     * @param centered whether weights are centered per channel before scaling (the reference)
     * @return the spec
     */
    public static QuantizerSpec spec(Grid grid, int bits, Rounding rounding, boolean gradientScaling, boolean centered) {
        String name = grid == Grid.SHIFT ? "shift" : "shift-uniform";
        return QuantizerSpec.of(
                name,
                bits,
                (role, b) ->
                        builder()
                                .setBits(b)
                                .optRole(role)
                                .optGrid(grid)
                                .optRounding(rounding)
                                .optGradientScaling(gradientScaling)
                                .optCentered(centered)
                                .build());
    }

    /**
     * Rounds {@code x} to the shift grid {@code ±2^e}, {@code e ∈ {0 … -(2^s-1)}}.
     *
     * @param x the input (values beyond ±1 go to ±1)
     * @param shiftBits s
     * @param rounding ceiling or nearest in the log domain
     * @return the levels, same shape
     */
    public static NDArray shiftLevels(NDArray x, int shiftBits, Rounding rounding) {
        return shiftLevels(x, 1f, shiftBits, rounding);
    }

    /**
     * Rounds {@code scale·x} to the shift grid, without gradient.
     */
    static NDArray shiftLevels(NDArray x, float scale, int shiftBits, Rounding rounding) {
        return scaledLevels(x, scale, Grid.SHIFT, shiftBits + 1, rounding);
    }

    /**
     * Rounds {@code x} to the uniform grid {@code ±k/2^(q-1)}, {@code k = 1 … 2^(q-1)}.
     *
     * @param x the input (values beyond ±1 go to ±1)
     * @param bits q
     * @param rounding ceiling or nearest
     * @return the levels, same shape
     */
    public static NDArray uniformLevels(NDArray x, int bits, Rounding rounding) {
        return uniformLevels(x, 1f, bits, rounding);
    }

    static NDArray uniformLevels(NDArray x, float scale, int bits, Rounding rounding) {
        return scaledLevels(x, scale, Grid.UNIFORM, bits, rounding);
    }

    /** {@code Q(scale·x)} on a grid, without gradient: {@link #scaledLevels} with {@code a = scale}, {@code b = 1}. */
    private static NDArray scaledLevels(NDArray x, float scale, Grid grid, int bits, Rounding rounding) {
        return scaledLevels(x, GraphConstants.scalar(x, scale), false, GraphConstants.scalar(x, 1), grid, bits, rounding);
    }

    /**
     * {@code Q(x ⊘ a)·b} on a grid, without gradient: {@code ⊘} divides ({@code divide}, weights by
     * their clip {@code 3σ}) or multiplies (activations by {@code 1/3}), {@code b} scales the levels
     * back ({@code 3σ0}, or 3). One {@link #GRID_LEVELS} call where it loads, else {@link
     * #scaledLevelsWithDjl}; both compute {@code |x ⊘ a|·f} first ({@code f = 2^(q-1)} on the uniform
     * grid, 1 on the shift grid) and give the same bits.
     *
     * @param bits {@code s + 1} on the shift grid, {@code q} on the uniform grid
     */
    static NDArray scaledLevels(NDArray x, NDArray a, boolean divide, NDArray b, Grid grid, int bits, Rounding rounding) {
        NDArray settings = x.getManager().create(new float[] {
            grid == Grid.SHIFT ? 1 : 0, rounding == Rounding.NEAREST ? 1 : 0, bound(grid, bits), divide ? 1 : 0});
        NDArray fused = GRID_LEVELS.apply(x, a, b, settings);
        return fused != null ? fused : scaledLevelsWithDjl(x, a, divide, b, grid, bits, rounding);
    }

    /** The grid's bound: the smallest exponent {@code -(2^s-1)}, or the number of positive uniform levels. */
    private static float bound(Grid grid, int bits) {
        return grid == Grid.SHIFT ? -((1 << (bits - 1)) - 1) : 1 << (bits - 1);
    }

    /** {@link #scaledLevels} with DJL operations (other engines, or the kernel turned off). */
    static NDArray scaledLevelsWithDjl(NDArray x, NDArray a, boolean divide, NDArray b, Grid grid, int bits, Rounding rounding) {
        float bound = bound(grid, bits);
        NDArray m = (divide ? x.div(a) : x.mul(a)).abs();
        NDArray levels;
        if (grid == Grid.SHIFT) {
            // log2(0) = -inf survives ceil/round and is clipped to the smallest exponent
            NDArray log = m.log2();
            NDArray e = rounding == Rounding.CEIL ? log.ceil() : log.round();
            levels = GraphConstants.pow(2, e.clip(bound, 0));
        } else {
            GraphConstants.muli(m, bound);
            NDArray k = rounding == Rounding.CEIL ? m.ceil() : m.round();
            levels = GraphConstants.divi(k.clip(1, bound), bound);
        }
        return withSignOf(x, levels).muli(b);
    }

    /**
     * The blended forward {@code q_λ(x) = λx + (1-λ)Q(x)} as a pure function.
     *
     * @param x the input
     * @param q the hard-quantized {@code Q(x)}
     * @param lambda λ in {@code [0, 1]}
     * @param gradientScaling true for gradient 1, false for gradient λ
     * @return the blend
     */
    public static NDArray blend(NDArray x, NDArray q, float lambda, boolean gradientScaling) {
        if (gradientScaling) {
            return x.add(GraphConstants.mul(q.sub(x), 1 - lambda).stopGradient());
        }
        return GraphConstants.mul(x, lambda).add(GraphConstants.mul(q, 1 - lambda).stopGradient());
    }

    /**
     * {@link #scaledLevels} in one TorchScript call, in place after its first operation: the DJL
     * chain needs ten full-size operations, among them {@code pow} and a {@code where} for the
     * sign, which made the shift quantizer's step cost about twice LSQ's; {@code exp2} and {@code
     * copysign} are exact, so the levels are the same bits.
     */
    private static final TorchScriptKernel GRID_LEVELS = new TorchScriptKernel("GridLevels",
            "class GridLevels(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.GridLevels,\n"
                    + "    x: Tensor,\n"
                    + "    a: Tensor,\n"
                    + "    b: Tensor,\n"
                    + "    settings: Tensor) -> Tensor:\n"
                    + "    shift = int(settings[0])\n"
                    + "    nearest = int(settings[1])\n"
                    + "    bound = float(settings[2])\n"
                    + "    divide = int(settings[3])\n"
                    + "    if torch.eq(divide, 1):\n"
                    + "      m = torch.div(x, a)\n"
                    + "    else:\n"
                    + "      m = torch.mul(x, a)\n"
                    + "    m0 = torch.abs_(m)\n"
                    + "    if torch.eq(shift, 1):\n"
                    + "      m1 = torch.log2_(m)\n"
                    + "    else:\n"
                    + "      m1 = torch.mul_(m, bound)\n"
                    + "    if torch.eq(nearest, 1):\n"
                    + "      m2 = torch.round_(m)\n"
                    + "    else:\n"
                    + "      m2 = torch.ceil_(m)\n"
                    + "    if torch.eq(shift, 1):\n"
                    + "      m3 = torch.exp2_(torch.clamp_(m, bound, 0.0))\n"
                    + "    else:\n"
                    + "      m3 = torch.div_(torch.clamp_(m, 1.0, bound), bound)\n"
                    + "    m4 = torch.copysign_(m, x)\n"
                    + "    return torch.mul_(m, b)\n");

    /** Whether the grid kernel loads here (tests compare it with the DJL chain). */
    static boolean gridKernelAvailable() {
        return GRID_LEVELS.isAvailable();
    }

    /**
     * {@code magnitude} with the sign bit of {@code x} (as {@code copysign}: {@code +0} gives
     * {@code +}, {@code -0} gives {@code -}; {@code x^-1} tells the two zeros apart).
     */
    private static NDArray withSignOf(NDArray x, NDArray magnitude) {
        return NDArrays.where(GraphConstants.pow(x, -1).gte(0), magnitude, magnitude.neg());
    }

    /**
     * Applies the hard quantizer {@code Q} of this quantizer's grid.
     *
     * @param x the normalised input
     * @return the levels
     */
    public NDArray levels(NDArray x) {
        return levels(x, 1f);
    }

    private NDArray levels(NDArray x, float scale) {
        return scaledLevels(x, scale, grid, bits, rounding);
    }

    /**
     * Sets λ: 1 is the identity, 0 the hard quantizer.
     *
     * @param lambda λ in {@code [0, 1]}
     */
    public void setLambda(float lambda) {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException(getLayerName() + ": λ must be in [0, 1], got " + lambda);
        }
        this.lambda = lambda;
    }

    /**
     * Returns λ.
     *
     * @return the current λ
     */
    public float getLambda() {
        return lambda;
    }

    @Override
    protected void calibrate(NDArray x) {
        if (sigma0 != null) {
            ParameterValues.overwrite(sigma0, channelMoments(x)[1]);
        }
    }

    /**
     * Per-channel centre and spread: mean and unbiased standard deviation, from E[w] and E[w²]
     * (two passes); uncentered, a zero centre and the root mean square.
     */
    private NDArray[] channelMoments(NDArray w) {
        if (!centered) {
            NDArray rms = GraphConstants.maximum(perScale(w, rows -> rows.square().mean(new int[] {1}, true)), 1e-24).sqrt();
            return new NDArray[] {null, rms};
        }
        long n = elementsPerScale(w);
        NDArray mean = perScale(w, rows -> rows.mean(new int[] {1}, true));
        NDArray meanSquare = perScale(w, rows -> rows.square().mean(new int[] {1}, true));
        NDArray variance = GraphConstants.muli(meanSquare.sub(mean.square()), (double) n / Math.max(1, n - 1));
        return new NDArray[] {mean, GraphConstants.maximum(variance, 1e-24).sqrt()};
    }

    @Override
    protected NDArray quantizeDifferentiable(
            ParameterStore parameterStore, NDArray x, boolean training) {
        return apply(parameterStore, x, training, false);
    }

    @Override
    protected NDArray quantizeHard(ParameterStore parameterStore, NDArray x) {
        return apply(parameterStore, x, false, true);
    }

    /**
     * Computes the quantizer with two graph operations at most; everything else is built without
     * gradient and mostly in place, because on CPU each full-size temporary costs as much as the
     * arithmetic. In training the native operators ({@link FusedShiftQuantize}) compute it where
     * they load; below is the PyTorch-operation chain they replace.
     *
     * <p>With {@code g} the differentiable input seen by the gradient, {@code f} its float value
     * and {@code q} the hard value, the output is {@code λf + (1-λ)q}: {@code g + sg(value - g)}
     * with gradient scaling, {@code λg + sg(value - λg)} without.
     */
    private NDArray apply(ParameterStore ps, NDArray x, boolean training, boolean hard) {
        if (sigma0 == null) {
            // activations: g = f = x̂ = BN(x); q = 3·Q(x̂/3)
            NDArray xhat = norm.forward(ps, new NDList(x), training).head();
            if (!hard) {
                NDArray fused = FusedShiftQuantize.activations(xhat, lambda, fusedMode(), grid == Grid.SHIFT, rounding == Rounding.NEAREST,
                        bound(grid, bits));
                if (fused != null) {
                    return fused;
                }
            }
            NDArray xd = xhat.stopGradient();
            NDArray q = scaledLevels(xd, GraphConstants.scalar(xd, 1.0 / CLIP_SIGMAS), false, GraphConstants.scalar(xd, CLIP_SIGMAS), grid, bits, rounding);
            return hard ? q : combine(xhat, xd, q, null);
        }
        // weights: g = (σ0/σ)·W, f = (σ0/σ)·(W - μ) = g - (σ0/σ)·μ, q = 3σ0·Q((W - μ)/(3σ));
        // uncentered μ = 0 and σ, σ0 are root mean squares, so f = g
        NDArray s0 = ps.getValue(sigma0, x.getDevice(), false).stopGradient();
        if (!hard) {
            NDArray fused = FusedShiftQuantize.weights(x, s0, lambda, fusedMode(), grid == Grid.SHIFT, rounding == Rounding.NEAREST,
                    bound(grid, bits), centered);
            if (fused != null) {
                return fused;
            }
        }
        NDArray w = x.stopGradient();
        NDArray[] moments = channelMoments(w);
        NDArray mean = moments[0];
        NDArray std = moments[1];
        NDArray clip = GraphConstants.mul(std, CLIP_SIGMAS);
        NDArray q = scaledLevels(mean == null ? w : w.sub(mean), clip, true, GraphConstants.mul(s0, CLIP_SIGMAS), grid, bits, rounding);
        if (hard) {
            return q;
        }
        NDArray gain = s0.div(std);
        NDArray g = x.mul(gain);
        return combine(g, g.stopGradient(), q, mean == null ? null : gain.mul(mean)); // not in place: autograd saved gain
    }

    private int fusedMode() {
        return gradientScaling ? FusedShiftQuantize.SCALED : FusedShiftQuantize.LAMBDA;
    }

    /**
     * Blends in place: {@code q} is consumed.
     *
     * @param g the graph tensor
     * @param gd its detached value
     * @param q the hard value
     * @param shift {@code g - f}, or null when {@code f = g}
     */
    private NDArray combine(NDArray g, NDArray gd, NDArray q, NDArray shift) {
        float lam = lambda;
        if (gradientScaling) {
            // value - g = (1-λ)(q - g) - λ·shift
            NDArray offset = GraphConstants.muli(q.subi(gd), 1 - lam);
            if (shift != null) {
                offset.subi(GraphConstants.mul(shift, lam));
            }
            return g.add(offset);
        }
        // value - λg = (1-λ)q - λ·shift
        NDArray offset = GraphConstants.muli(q, 1 - lam);
        if (shift != null) {
            offset.subi(GraphConstants.mul(shift, lam));
        }
        return GraphConstants.mul(g, lam).add(offset);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        if (norm != null) {
            norm.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Codebook codebook(ParameterStore parameterStore, NDArray w) {
        if (sigma0 == null) {
            return super.codebook(parameterStore, w);
        }
        NDArray s0 = GraphConstants.mul(parameterStore.getValue(sigma0, w.getDevice(), false).stopGradient(), CLIP_SIGMAS);
        int half = 1 << (bits - 1);
        float[] levels = new float[2 * half];
        for (int k = 0; k < half; k++) {
            // magnitudes in increasing order: the shift grid 2^-(2^s-1) … 1, or k/2^(q-1)
            float magnitude = grid == Grid.SHIFT ? (float) Math.pow(2, k - (half - 1)) : (k + 1f) / half;
            levels[half + k] = magnitude;
            levels[half - 1 - k] = -magnitude;
        }
        return encode(parameterStore, w, s0, levels);
    }

    /** The codebook's scales are {@code 3·σ0}: the packed file stores σ0 only there. */
    @Override
    public List<Parameter> codebookParameters() {
        return sigma0 == null ? List.of() : List.of(sigma0);
    }

    @Override
    public void restoreFromCodebook(Codebook book) {
        if (sigma0 != null) {
            restoreScales(sigma0, book.scales(), s0 -> s0 * CLIP_SIGMAS, scale -> scale / CLIP_SIGMAS);
        }
    }

    /**
     * Counts the shift-adds of each weight: one on the shift grid (a signed power of two), and on
     * the uniform grid the non-zero NAF digits of the integer {@code k} in {@code ±k/2^(q-1)}
     * (k = 3 is 4 - 1, two shift-adds), read from the weight's {@link #codebook}.
     */
    @Override
    public NDArray nonZeroDigits(ParameterStore parameterStore, NDArray w) {
        if (grid == Grid.SHIFT || sigma0 == null) {
            return super.nonZeroDigits(parameterStore, w);
        }
        int[] k = codebook(parameterStore, w).integerCodes(bits - 1);
        float[] digits = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            digits[i] = NHotLevels.nafWeight(k[i]);
        }
        return GraphConstants.of(w.getManager(), digits, w.getShape());
    }

    /** On the shift grid one signed power of two per weight, a single shift; b on the uniform grid. */
    @Override
    public int multiplierTerms() {
        return grid == Grid.SHIFT ? 1 : bits;
    }

    @Override
    public int numLevels() {
        return 1 << bits; // 2^(bits-1) magnitudes on each side, no zero, for both grids
    }

    @Override
    protected String methodName() {
        return grid == Grid.SHIFT ? "shift" : "shift-uniform";
    }

    @Override
    protected List<String> describeOptions() {
        List<String> options = new ArrayList<>();
        options.add(rounding.name().toLowerCase(java.util.Locale.ROOT));
        options.add(gradientScaling ? "grad-scaled" : "grad-lambda");
        if (!centered && role == QuantizerRole.WEIGHT) {
            options.add("uncentered");
        }
        return options;
    }

    /** The builder of {@link ShiftQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        private Grid grid = Grid.SHIFT;
        private Rounding rounding = Rounding.CEIL;
        private boolean gradientScaling = true;
        private boolean centered = true;

        Builder() {
            optSigned(true);
        }

        /**
         * Chooses the level set.
         *
         * @param grid shift (powers of two) or uniform
         * @return this builder
         */
        public Builder optGrid(Grid grid) {
            this.grid = grid;
            return this;
        }

        /**
         * Chooses the rounding of magnitudes.
         *
         * @param rounding ceiling (reference) or nearest
         * @return this builder
         */
        public Builder optRounding(Rounding rounding) {
            this.rounding = rounding;
            return this;
        }

        /**
         * Turns gradient scaling ("λ independence") on or off.
         *
         * @param on true for gradient 1, false for gradient λ
         * @return this builder
         */
        public Builder optGradientScaling(boolean on) {
            this.gradientScaling = on;
            return this;
        }

        /**
         * Chooses whether weights are centered per channel before scaling: {@code (W - μ)/(3σ)} as
         * in the reference (default), or {@code W/(3ρ)} with ρ the root mean square, which keeps
         * each kernel's mean (needed by depthwise convolutions). Activations ignore it.
         *
         * @param on true to center (reference)
         * @return this builder
         */
        public Builder optCentered(boolean on) {
            this.centered = on;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public ShiftQuantizer build() {
            if (grid == Grid.SHIFT) {
                checkBits(bits, 1, "ShiftQuantizer");
                if (bits - 1 > MAX_SHIFT_BITS) {
                    throw new IllegalArgumentException(
                            "ShiftQuantizer: "
                                    + (bits - 1)
                                    + " shift bits are not supported; use 0 to "
                                    + MAX_SHIFT_BITS
                                    + ".");
                }
            }
            return new ShiftQuantizer(this);
        }
    }
}
