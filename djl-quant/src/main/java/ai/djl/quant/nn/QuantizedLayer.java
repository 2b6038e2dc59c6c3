package ai.djl.quant.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A decorator that quantizes a layer's weights (and optionally its input) before the layer's own
 * operation: {@code y = op(Qa(x), Qw(W), b)}.
 *
 * <p>The original layer stays a child and keeps its parameters, so fp32 weights loaded or trained
 * before wrapping are the starting point of fine-tuning, and the saved file holds them in the same
 * order as before plus the quantizers' parameters. Concrete decorators only supply the operation
 * as a static function of {@code (x, W, b)}.
 */
public abstract class QuantizedLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    /** The wrapped fp32 layer, a child so that its parameters load first. */
    protected final Block layer;
    /** The wrapped layer's weight. */
    protected final Parameter weight;
    /** The wrapped layer's bias, or null when it has none. */
    protected final Parameter bias;
    /** Quantizes the weight before the operation. */
    protected final Quantizer weightQuantizer;
    /** Quantizes the input before the operation, or null to keep it float. */
    protected final Quantizer inputQuantizer;
    private final String path;
    private boolean prequantizedWeights;
    /** Added to the output in deploy mode, per output channel (see {@link #setDeployBiasRounding}). */
    private float[] deployBiasRounding;

    /**
     * Wraps a layer.
     *
     * @param layer the original layer, whose parameters are named {@code weight} and {@code bias}
     * @param weightQuantizer the weight quantizer
     * @param inputQuantizer the input-activation quantizer, or null to keep the input float
     * @param path the layer's path in the model, used in error messages
     */
    @SuppressWarnings("this-escape")
    protected QuantizedLayer(
            Block layer, Quantizer weightQuantizer, Quantizer inputQuantizer, String path) {
        super(VERSION);
        this.path = path;
        this.layer = addChildBlock(layer.getClass().getSimpleName(), layer);
        this.weight = layer.getDirectParameters().get("weight");
        this.bias = layer.getDirectParameters().get("bias");
        if (weight == null) {
            throw new IllegalArgumentException(
                    path + ": " + layer.getClass().getSimpleName() + " has no 'weight' parameter.");
        }
        this.weightQuantizer = addChildBlock("weightQuantizer", weightQuantizer);
        weightQuantizer.setLayerName(path + " (weight)");
        this.inputQuantizer =
                inputQuantizer == null ? null : addChildBlock("inputQuantizer", inputQuantizer);
        if (inputQuantizer != null) {
            inputQuantizer.setLayerName(path + " (input)");
        }
        if (layer.isInitialized()) {
            // A trained layer is wrapped: be ready for inference at once, with weight scales
            // calibrated from the trained weights rather than from the first training step.
            NDArray w = weight.getArray();
            initialize(w.getManager(), w.getDataType(), layer.getInputShapes());
            weightQuantizer.calibrateFrom(w);
        }
    }

    /**
     * Returns whether a block has a quantized decorator.
     *
     * @param block a block
     * @return true for {@link Conv2d} and {@link Linear}
     */
    public static boolean supports(Block block) {
        return block instanceof Conv2d || block instanceof Linear;
    }

    /**
     * Creates the decorator for a supported layer.
     *
     * @param layer a {@link Conv2d} or {@link Linear}
     * @param weightQuantizer the weight quantizer
     * @param inputQuantizer the input quantizer, or null
     * @param path the layer's path
     * @return the decorator
     * @throws IllegalArgumentException for an unsupported layer type
     */
    public static QuantizedLayer of(
            Block layer, Quantizer weightQuantizer, Quantizer inputQuantizer, String path) {
        if (layer instanceof Conv2d conv) {
            return new QuantizedConv2d(conv, weightQuantizer, inputQuantizer, path);
        }
        if (layer instanceof Linear linear) {
            return new QuantizedLinear(linear, weightQuantizer, inputQuantizer, path);
        }
        throw new IllegalArgumentException(
                path
                        + ": "
                        + layer.getClass().getName()
                        + " cannot be quantized; supported layers are Conv2d and Linear.");
    }

    /**
     * Applies the layer's operation to already quantized operands.
     *
     * @param x the (quantized) input
     * @param w the quantized weight
     * @param b the bias, or null
     * @return the output
     */
    protected abstract NDList apply(NDArray x, NDArray w, NDArray b);

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDManager batch = x.getManager();
        if (inputQuantizer != null) {
            x = inputQuantizer.quantize(parameterStore, x, training, batch);
        }
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray b = parameterStore.getValue(bias, x.getDevice(), training);
        NDArray wq = prequantizedWeights ? w : weightQuantizer.quantize(parameterStore, w, training, batch);
        NDList y = apply(x, wq, b);
        if (deployBiasRounding != null && weightQuantizer.isDeployMode()) {
            NDArray out = y.head();
            long[] perChannel = new long[out.getShape().dimension()];
            Arrays.fill(perChannel, 1);
            perChannel[1] = deployBiasRounding.length;
            return new NDList(out.add(batch.create(deployBiasRounding, new Shape(perChannel))));
        }
        return y;
    }

    /**
     * Makes the layer add a constant per output channel to its output in deploy mode: {@code y =
     * op(Qa(x), Qw(W), b) + r}. An integer deployment stores the layer's bias (a following
     * BatchNorm folded in) as int32 on the accumulator grid {@code s_input·s_weight[c]}, which
     * moves it by up to half a grid unit; with {@code r} the rounding (in this layer's output
     * units), the model computes what that deployment computes. Not saved with the model: set it
     * again after loading (see {@code OnnxExporter.roundBiasesAsExported}).
     *
     * @param rounding one value per output channel, or null for none
     */
    public void setDeployBiasRounding(float[] rounding) {
        this.deployBiasRounding = rounding == null ? null : rounding.clone();
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        layer.initialize(manager, dataType, inputShapes);
        weightQuantizer.initialize(manager, dataType, weight.getArray().getShape());
        if (inputQuantizer != null) {
            inputQuantizer.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return layer.getOutputShapes(inputShapes);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(
                    path + ": quantized layer format version " + loadVersion + " is not supported.");
        }
        readInputShapes(is);
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
    }

    /**
     * Declares that the weight parameter already holds hard-quantized values (as loaded from a
     * packed model), so the weight quantizer is skipped.
     *
     * @param prequantized true when the weights are already quantized
     */
    public void setPrequantizedWeights(boolean prequantized) {
        this.prequantizedWeights = prequantized;
        weightQuantizer.setPrequantizedInputs(prequantized);
    }

    /**
     * Returns the original layer.
     *
     * @return the wrapped layer
     */
    public Block getLayer() {
        return layer;
    }

    /**
     * Returns the weight quantizer.
     *
     * @return the weight quantizer
     */
    public Quantizer getWeightQuantizer() {
        return weightQuantizer;
    }

    /**
     * Returns the input quantizer.
     *
     * @return the input quantizer, or null when the input stays float
     */
    public Quantizer getInputQuantizer() {
        return inputQuantizer;
    }

    /**
     * Returns the quantizers of this layer, weight first.
     *
     * @return one or two quantizers
     */
    public List<Quantizer> getQuantizers() {
        List<Quantizer> list = new ArrayList<>(2);
        list.add(weightQuantizer);
        if (inputQuantizer != null) {
            list.add(inputQuantizer);
        }
        return Collections.unmodifiableList(list);
    }

    /**
     * Returns the weight parameter of the original layer.
     *
     * @return the latent (float) weight
     */
    public Parameter getWeight() {
        return weight;
    }

    /**
     * Returns the layer's path in the model.
     *
     * @return the path
     */
    public String getPath() {
        return path;
    }

    /**
     * Describes the quantization of this layer, e.g. {@code w=lsq(4 bits, …) a=lsq(4 bits, …)}.
     *
     * @return the description
     */
    public String describe() {
        return "w="
                + weightQuantizer.describe()
                + " a="
                + (inputQuantizer == null ? "float" : inputQuantizer.describe());
    }
}
