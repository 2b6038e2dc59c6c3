package ai.djl.quant.quantizers;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A fake quantizer: maps a float tensor to the nearest value of a discrete level set, with a
 * gradient defined by the subclass (straight-through, blended or exact).
 *
 * <p>A quantizer is a {@link ai.djl.nn.Block} with one input and one output of the same shape,
 * so it can sit in a {@link ai.djl.nn.SequentialBlock} as an activation quantizer or be held by a
 * quantized layer as its weight quantizer. Its learned parameters (steps, scales) are ordinary
 * DJL parameters and are saved with the model.
 *
 * <p>Two modes:
 *
 * <ul>
 *   <li>training mode: {@link #quantizeDifferentiable} gives the value used in fine-tuning and the
 *       gradient of the method;
 *   <li>deploy (hard) mode: {@link #quantizeHard} gives exactly a point of the level set, without
 *       any gradient machinery. For most quantizers both give the same value; for blended ones
 *       (the shift quantizer's {@code λ}) they differ until the end of fine-tuning.
 * </ul>
 *
 * <p>Data-dependent initialisation ("calibration") runs once, on the first tensor seen, unless
 * the parameters were loaded from a saved model.
 */
public abstract class Quantizer extends AbstractBlock {

    private static final byte VERSION = 1;

    /** The valid bit widths of any quantizer. */
    public static final int MAX_BITS = 16;

    /** Whether this quantizer's tensor is a weight or an activation. */
    protected final QuantizerRole role;
    /** The bit width, 1 to {@link #MAX_BITS}. */
    protected final int bits;
    /** Whether the level set has negative levels. */
    protected final boolean signed;
    /** Whether each output channel (axis 0) has its own scale. */
    protected final boolean perChannel;
    private boolean deploy;
    private boolean calibrated;
    private boolean prequantizedInputs;
    private String layerName = "<standalone quantizer>";

    /**
     * Creates a quantizer from its builder.
     *
     * @param builder the builder with the bit width, role, signedness and granularity
     */
    @SuppressWarnings("this-escape")
    protected Quantizer(BaseBuilder<?> builder) {
        super(VERSION);
        this.bits = checkBits(builder.bits, builder.minBits(), getClass().getSimpleName());
        this.role = builder.role;
        this.signed = builder.signed == null ? builder.role != QuantizerRole.ACTIVATION : builder.signed;
        this.perChannel =
                builder.perChannel == null ? builder.role == QuantizerRole.WEIGHT : builder.perChannel;
    }

    /**
     * Checks a bit width.
     *
     * @param bits the bit width asked for
     * @param minBits the smallest width the method supports
     * @param who the quantizer or layer, named in the error
     * @return {@code bits}
     * @throws IllegalArgumentException when {@code bits} is outside {@code [minBits, 16]}
     */
    public static int checkBits(int bits, int minBits, String who) {
        if (bits < minBits || bits > MAX_BITS) {
            throw new IllegalArgumentException(
                    who
                            + ": bit width "
                            + bits
                            + " is not supported; use "
                            + minBits
                            + " to "
                            + MAX_BITS
                            + " bits.");
        }
        return bits;
    }

    /**
     * A per-tensor grid of integer levels with one scale (zero point 0): {@code Q(x) = m·s} with
     * {@code m} the level nearest to {@code clip(x/s, min, max)}. Uniform levels (every integer of
     * the range, rounding half to even) are what ONNX's {@code QuantizeLinear} expresses; n-hot
     * levels are a subset of those integers, so integer kernels run them as well.
     *
     * @param scale the step s
     * @param levels the integer levels m
     */
    public record IntegerGrid(float scale, LevelSet levels) {

        /**
         * Returns the lowest level.
         *
         * @return the minimum
         */
        public int min() {
            return levels.min();
        }

        /**
         * Returns the highest level.
         *
         * @return the maximum
         */
        public int max() {
            return levels.max();
        }

        /**
         * Returns whether every integer of {@code [min, max]} is a level.
         *
         * @return true for a uniform grid
         */
        public boolean isUniform() {
            return levels instanceof UniformLevels;
        }

        /**
         * Returns the level of one value, computed as the quantizer's deploy mode computes it (in
         * float: divide, clip, round to the nearest level).
         *
         * @param x the value
         * @return the level m
         */
        public int code(float x) {
            float v = Math.max(levels.min(), Math.min(levels.max(), x / scale));
            return levels.round(v);
        }
    }

    /**
     * Returns this quantizer's deploy-mode function as a per-tensor grid of integer levels, when it
     * is one.
     *
     * @param parameterStore the parameter store
     * @return the grid, or empty when the scale is per channel or the levels are not integers
     */
    public Optional<IntegerGrid> integerGrid(ParameterStore parameterStore) {
        return Optional.empty();
    }

    /**
     * Throws when {@code x} holds a NaN or an infinity.
     *
     * @param x the tensor to check
     * @param layerName the layer named in the error
     * @param what what the tensor is ("weight", "input activation")
     */
    public static void requireFinite(NDArray x, String layerName, String what) {
        boolean bad = x.isNaN().logicalOr(x.isInfinite()).any().getBoolean();
        if (bad) {
            throw new IllegalArgumentException(
                    layerName
                            + ": the "
                            + what
                            + " contains NaN or Inf values, so no quantization scale can be"
                            + " computed. Check the model file or the preceding layers (a"
                            + " diverged fp32 training, a too large learning rate).");
        }
    }

    /**
     * Returns the bit width.
     *
     * @return the number of bits of one quantized value
     */
    public int getBits() {
        return bits;
    }

    /**
     * Returns what this quantizer quantizes.
     *
     * @return the role
     */
    public QuantizerRole getRole() {
        return role;
    }

    /**
     * Returns whether negative levels exist.
     *
     * @return true for a signed level set
     */
    public boolean isSigned() {
        return signed;
    }

    /**
     * Returns whether the scale is per output channel (axis 0) rather than per tensor.
     *
     * @return true for per-channel scales
     */
    public boolean isPerChannel() {
        return perChannel;
    }

    /**
     * Switches between training mode and deploy (hard) mode.
     *
     * @param deploy true to output exact levels only
     */
    public void setDeployMode(boolean deploy) {
        this.deploy = deploy;
    }

    /**
     * Returns whether the quantizer is in deploy (hard) mode.
     *
     * @return true in deploy mode
     */
    public boolean isDeployMode() {
        return deploy;
    }

    /**
     * Sets the layer name used in error messages.
     *
     * @param layerName the path of the layer this quantizer belongs to
     */
    public void setLayerName(String layerName) {
        this.layerName = layerName;
    }

    /**
     * Returns the layer name used in error messages.
     *
     * @return the layer path
     */
    public String getLayerName() {
        return layerName;
    }

    /**
     * Returns whether the data-dependent initialisation has happened (or parameters were loaded).
     *
     * @return true once calibrated
     */
    public boolean isCalibrated() {
        return calibrated;
    }

    /**
     * Forces a new data-dependent initialisation on the next tensor, as after a change of method.
     */
    public void resetCalibration() {
        calibrated = false;
    }

    /**
     * Quantizes {@code x}: calibrates on the first call, then applies the training-mode or the
     * deploy-mode function. The result belongs to {@code x}'s manager.
     *
     * @param parameterStore the parameter store of the forward pass
     * @param x the tensor to quantize
     * @param training whether this is a training forward pass
     * @return the quantized tensor, same shape as {@code x}
     */
    public NDArray quantize(ParameterStore parameterStore, NDArray x, boolean training) {
        return quantize(parameterStore, x, training, x.getManager());
    }

    /**
     * Quantizes {@code x} and attaches the result to {@code resultManager}.
     *
     * <p>Every intermediate array is created in a scope closed on return. Weights and quantizer
     * parameters belong to the model's manager, so without the scope each training step would
     * leave weight-sized temporaries there until the model closes (autograd keeps its own
     * references to what the backward pass needs).
     *
     * @param parameterStore the parameter store of the forward pass
     * @param x the tensor to quantize
     * @param training whether this is a training forward pass
     * @param resultManager the manager of the result, usually the batch's
     * @return the quantized tensor, same shape as {@code x}
     */
    public NDArray quantize(
            ParameterStore parameterStore, NDArray x, boolean training, NDManager resultManager) {
        try (NDManager scope = resultManager.newSubManager()) {
            scope.tempAttachAll(x);
            for (Parameter parameter : getDirectParameters().values()) {
                if (parameter.isInitialized()) {
                    scope.tempAttachAll(parameterStore.getValue(parameter, x.getDevice(), training));
                }
            }
            if (!calibrated) {
                calibrateFrom(x);
            }
            NDArray y;
            try {
                y =
                        deploy
                                ? quantizeHard(parameterStore, x.stopGradient())
                                : quantizeDifferentiable(parameterStore, x, training);
            } catch (RuntimeException e) {
                // a NaN reaching a table lookup fails deep inside the engine: name the cause
                throw explainNonFinite(parameterStore, x, e);
            }
            y.attach(resultManager);
            return y;
        }
    }

    private RuntimeException explainNonFinite(ParameterStore parameterStore, NDArray x, RuntimeException e) {
        String what = role == QuantizerRole.WEIGHT ? "weight" : "input activation";
        if (x.isNaN().logicalOr(x.isInfinite()).any().getBoolean()) {
            return new IllegalStateException(layerName + ": the " + what + " reaching the " + describe()
                    + " quantizer contains NaN or Inf: the training diverged upstream; lower the learning rate"
                    + " or check the preceding layers.", e);
        }
        for (Pair<String, Parameter> p : getDirectParameters()) {
            NDArray v = parameterStore.getValue(p.getValue(), x.getDevice(), false);
            if (v.isNaN().logicalOr(v.isInfinite()).any().getBoolean()) {
                return new IllegalStateException(layerName + ": the " + describe() + " quantizer's parameter '"
                        + p.getKey() + "' is NaN or Inf: its updates diverged; lower the quantizer learning rate.", e);
            }
        }
        return e;
    }

    /**
     * Runs the data-dependent initialisation now, from {@code x}, after checking it is finite.
     *
     * @param x a representative tensor: the weights, or a batch of activations
     * @throws IllegalArgumentException when {@code x} holds NaN or Inf
     */
    public void calibrateFrom(NDArray x) {
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x);
            requireFinite(x, layerName, role == QuantizerRole.WEIGHT ? "weight" : "activation");
            calibrate(x.stopGradient());
        }
        calibrated = true;
    }

    /**
     * Declares that the tensors given to {@link #codebook} already hold this quantizer's hard
     * values (weights loaded from a packed file), so they are encoded as they are. Hard
     * quantization is not idempotent for every quantizer: the shift quantizer standardises by the
     * weights' own mean and deviation, which move once the weights are quantized, so re-quantizing
     * loaded weights moved some codes (an export of the loaded zoo model agreed on 99.6 % of the
     * test images instead of 100 %).
     *
     * @param prequantized true when the inputs are hard values already
     */
    public void setPrequantizedInputs(boolean prequantized) {
        this.prequantizedInputs = prequantized;
    }

    /**
     * Returns whether the tensors given to {@link #codebook} are hard values already.
     *
     * @return true after {@code setPrequantizedInputs(true)}
     */
    protected final boolean hasPrequantizedInputs() {
        return prequantizedInputs;
    }

    /**
     * Marks the quantizer calibrated without touching its parameters, as when they were set by
     * hand or copied from another quantizer.
     */
    public void markCalibrated() {
        calibrated = true;
    }

    /**
     * Initialises the parameters from the first tensor seen, without gradient.
     *
     * @param x the first tensor (a weight, or the first batch of activations)
     */
    protected abstract void calibrate(NDArray x);

    /**
     * The training-mode function: value and gradient of the method.
     *
     * @param parameterStore the parameter store
     * @param x the tensor to quantize
     * @param training whether this is a training pass
     * @return the fake-quantized tensor
     */
    protected abstract NDArray quantizeDifferentiable(
            ParameterStore parameterStore, NDArray x, boolean training);

    /**
     * The deploy-mode function: each output value is a point of the level set (times its scale).
     *
     * @param parameterStore the parameter store
     * @param x the tensor to quantize
     * @return the hard-quantized tensor
     */
    protected abstract NDArray quantizeHard(ParameterStore parameterStore, NDArray x);

    /**
     * Returns the number of distinct quantized values a single scale can produce.
     *
     * @return the size of the level set
     */
    public abstract int numLevels();

    /**
     * Returns the bits of one stored code: {@code ceil(log2(numLevels()))}.
     *
     * @return the index bits
     */
    public int indexBits() {
        int levels = numLevels();
        return levels <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(levels - 1);
    }

    /**
     * Counts, for each weight, the shift-and-add operations a multiplication by its quantized
     * value takes: the non-zero digits of its signed-digit (NAF) code. The default suits level
     * sets of signed powers of two: one shift per non-zero value.
     *
     * @param parameterStore the parameter store
     * @param w the weights
     * @return per-weight counts, same shape, as floats
     */
    public NDArray nonZeroDigits(ParameterStore parameterStore, NDArray w) {
        return quantizeHard(parameterStore, w.stopGradient()).neq(0).toType(w.getDataType(), false);
    }

    /**
     * Returns the partial products a fixed-function multiplier spends on one multiplication by a
     * weight of this quantizer, whatever the weight's value: a b-bit binary multiplier sums b
     * shifted partial products (the accounting of Sakuma et al. 2021, where an 8-bit multiply is 8
     * shift-adds and an n-hot one n). {@link #nonZeroDigits} counts the value-dependent digits
     * instead.
     *
     * @return b for a b-bit binary code; overridden by level sets with fewer non-zero digits
     */
    public int multiplierTerms() {
        return bits;
    }

    /**
     * Returns the parameters whose values the weight {@link #codebook} already carries, so that a
     * packed file stores them once; {@link #restoreFromCodebook} sets them back on loading.
     *
     * @return none by default
     */
    public List<Parameter> codebookParameters() {
        return List.of();
    }

    /**
     * Sets the {@link #codebookParameters()} from a codebook read back from a packed file.
     *
     * @param book the codebook this quantizer wrote for its weights
     */
    public void restoreFromCodebook(Codebook book) {}

    /**
     * Returns the hard-quantized weights as integer codes, level tables and scales, for packed
     * storage; {@code decode()} reproduces the deploy-mode output exactly.
     *
     * @param parameterStore the parameter store
     * @param w the weights
     * @return the codebook
     * @throws UnsupportedOperationException for a quantizer without a level table
     */
    public Codebook codebook(ParameterStore parameterStore, NDArray w) {
        throw new UnsupportedOperationException(
                layerName + ": " + getClass().getSimpleName() + " cannot be stored as packed codes.");
    }

    /**
     * Encodes the hard-quantized weights given their row scales and the sorted level table.
     *
     * @param parameterStore the parameter store
     * @param w the weights
     * @param scale the scale per row (or a single one), broadcastable to {@code w}
     * @param levels the sorted level values of {@code hard / scale}
     * @return the codebook
     */
    protected Codebook encode(ParameterStore parameterStore, NDArray w, NDArray scale, float[] levels) {
        NDArray hard = prequantizedInputs ? w.stopGradient() : quantizeHard(parameterStore, w.stopGradient());
        float[] normalised = hard.div(scale).toFloatArray();
        return Codebook.of(normalised, levels, 1, scale.toFloatArray(), (int) w.getShape().get(0));
    }

    /**
     * Returns a one-line description of the method and its settings, used in summaries and to
     * detect a saved model loaded with a different configuration.
     *
     * @return e.g. {@code "lsq(4 bits, signed, per-channel)"}
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add(bits + " bits");
        parts.add(signed ? "signed" : "unsigned");
        parts.add(perChannel ? "per-channel" : "per-tensor");
        parts.addAll(describeOptions());
        return methodName() + "(" + String.join(", ", parts) + ")";
    }

    /**
     * Returns the short method name used by {@link #describe()}.
     *
     * @return e.g. {@code "lsq"}
     */
    protected abstract String methodName();

    /**
     * Returns the method-specific settings shown by {@link #describe()}.
     *
     * @return extra settings, empty by default
     */
    protected List<String> describeOptions() {
        return List.of();
    }

    /** A float function, evaluated in float arithmetic exactly as the engine evaluates it. */
    @FunctionalInterface
    protected interface FloatMap {
        /**
         * Applies the function.
         *
         * @param x the argument
         * @return the value
         */
        float apply(float x);
    }

    /**
     * Sets a scale parameter from the codebook scales it produced, so that {@code scale(t) ==
     * stored} holds exactly in float arithmetic for every element: the packed file then stores
     * the value once (in the codebook) and a loaded model encodes its weights with the very same
     * scales. The search starts at {@code guess(stored)} and moves by one ulp at a time.
     *
     * @param parameter the scale parameter, one element per stored scale
     * @param stored the codebook's scales
     * @param scale how the codebook scale is computed from the parameter (increasing)
     * @param guess an approximate inverse of {@code scale}
     * @throws IllegalStateException when no float maps exactly onto a stored scale
     */
    protected final void restoreScales(Parameter parameter, float[] stored, FloatMap scale, FloatMap guess) {
        float[] values = new float[stored.length];
        for (int i = 0; i < stored.length; i++) {
            float t = guess.apply(stored[i]);
            for (int step = 0; step < 64 && scale.apply(t) != stored[i]; step++) {
                t = scale.apply(t) < stored[i] ? Math.nextUp(t) : Math.nextDown(t);
            }
            if (scale.apply(t) != stored[i]) {
                throw new IllegalStateException(layerName + ": no " + parameter.getName() + " gives the stored scale "
                        + stored[i] + "; the packed file is not from this quantizer.");
            }
            values[i] = t;
        }
        ParameterValues.overwrite(parameter, values);
    }

    /**
     * Declares a scale-like parameter (a step, a scale) whose shape follows the granularity.
     *
     * @param name the parameter name
     * @param trainable whether the optimizer updates it
     * @return the declared parameter
     */
    protected final Parameter addScaleParameter(String name, boolean trainable) {
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(Parameter.Type.OTHER)
                        .optInitializer(Initializer.ONES)
                        .optRequiresGrad(trainable)
                        .build());
    }

    /**
     * Returns the shape of a scale for an input of the given shape: {@code (C, 1, …, 1)} per
     * channel, {@code (1)} per tensor.
     *
     * @param input the quantized tensor's shape
     * @return the scale shape
     */
    protected Shape scaleShape(Shape input) {
        if (!perChannel) {
            return new Shape(1);
        }
        long[] dims = new long[input.dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = input.get(0);
        return new Shape(dims);
    }

    /**
     * Reduces {@code x} to one value per scale (per channel or per tensor), shaped like the scale.
     *
     * <p>Engines differ in multi-axis reductions, so the tensor is flattened to {@code (C, -1)}
     * (or {@code (1, -1)}) and reduced along axis 1.
     *
     * @param x the tensor
     * @param reduction e.g. {@code t -> t.abs().mean(new int[] {1}, true)}
     * @return the statistic, shaped like {@link #scaleShape(Shape)}
     */
    protected NDArray perScale(NDArray x, java.util.function.UnaryOperator<NDArray> reduction) {
        long rows = perChannel ? x.getShape().get(0) : 1;
        return reduction.apply(x.reshape(rows, -1)).reshape(scaleShape(x.getShape()));
    }

    /**
     * Returns how many elements share one scale, the {@code numel} of LSQ's gradient scale.
     *
     * @param x the tensor
     * @return the element count per channel (per-channel) or per tensor
     */
    protected long elementsPerScale(NDArray x) {
        long size = x.getShape().size();
        return perChannel ? size / x.getShape().get(0) : size;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(quantize(parameterStore, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        for (Parameter parameter : getDirectParameters().values()) {
            parameter.setShape(scaleShape(inputShapes[0]));
        }
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
        os.writeUTF(describe());
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(
                    layerName
                            + ": quantizer format version "
                            + loadVersion
                            + " is not supported (expected "
                            + version
                            + "); re-export the model with this djl-quant version.");
        }
        readInputShapes(is);
        String saved = is.readUTF();
        if (!saved.equals(describe())) {
            throw new MalformedModelException(
                    layerName
                            + ": the file was saved with quantizer "
                            + saved
                            + " but the configuration gives "
                            + describe()
                            + "; wrap the model with the configuration it was trained with.");
        }
        calibrated = true;
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * The builder settings shared by every quantizer.
     *
     * @param <T> the concrete builder type
     */
    public abstract static class BaseBuilder<T extends BaseBuilder<T>> {

        /** The bit width ({@link #setBits}). */
        protected int bits;
        /** What is quantized ({@link #optRole}). */
        protected QuantizerRole role = QuantizerRole.WEIGHT;
        /** The signedness, or null for the role's default ({@link #optSigned}). */
        protected Boolean signed;
        /** The granularity, or null for the role's default ({@link #optPerChannel}). */
        protected Boolean perChannel;

        /**
         * Sets the bit width (required).
         *
         * @param bits the number of bits, 1 to 16 depending on the method
         * @return this builder
         */
        public T setBits(int bits) {
            this.bits = bits;
            return self();
        }

        /**
         * Sets what is quantized; weights default to signed per-channel, activations to unsigned
         * per-tensor.
         *
         * @param role the role
         * @return this builder
         */
        public T optRole(QuantizerRole role) {
            this.role = role;
            return self();
        }

        /**
         * Overrides the signedness given by the role.
         *
         * @param signed true for a signed level set
         * @return this builder
         */
        public T optSigned(boolean signed) {
            this.signed = signed;
            return self();
        }

        /**
         * Overrides the granularity given by the role.
         *
         * @param perChannel true for one scale per output channel (axis 0)
         * @return this builder
         */
        public T optPerChannel(boolean perChannel) {
            this.perChannel = perChannel;
            return self();
        }

        /**
         * Returns the smallest bit width this method supports.
         *
         * @return the minimum bits
         */
        protected int minBits() {
            return 1;
        }

        /**
         * Returns this builder.
         *
         * @return this
         */
        protected abstract T self();

        /**
         * Builds the quantizer.
         *
         * @return a new quantizer
         */
        public abstract Quantizer build();
    }
}
