package ai.djl.quant.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A residual sum with quantized operands and result, replacing a {@link ParallelBlock} whose join
 * adds its branches: {@code y = Q(Σ_i Q_i(f_i(x)))}, or {@code y = Q(max(Σ_i Q_i(f_i(x)), 0))} when
 * the join applies a ReLU (DJL's {@code ResNetV1}); the operand quantizers are signed, the result's
 * signed without the ReLU and unsigned with it, all per tensor.
 *
 * <p>A plain quantized model quantizes only the inputs of convolution and linear layers, so the
 * tensors around a residual addition stay float and an integer runtime must leave the layer that
 * feeds the sum, and the sum itself, in float. With the operands and the result quantized, every
 * tensor of the unit is integer: ONNX Runtime then runs every convolution as QLinearConv and the
 * sum as QLinearAdd.
 *
 * <p>The branches stay children under their original names, so the paths of the layers inside are
 * unchanged.
 */
public class QuantizedSum extends AbstractBlock {

    private static final byte VERSION = 1;

    private final List<Block> branches = new ArrayList<>();
    private final List<Quantizer> operandQuantizers = new ArrayList<>();
    private final Quantizer outputQuantizer;
    private final boolean relu;
    private final String path;

    /**
     * Replaces a sum-joined ParallelBlock (its branches as they are, wrapped layers included).
     *
     * @param parallel the block, whose join must be a sum ({@link ParallelJoin#isSum()})
     * @param relu whether the join applies a ReLU to the sum ({@link ParallelJoin#SUM_RELU})
     * @param spec the quantizer of the operands and the result
     * @param path the block's path in the model, used in error messages and the manifest
     */
    @SuppressWarnings("this-escape")
    public QuantizedSum(ParallelBlock parallel, boolean relu, QuantizerSpec spec, String path) {
        super(VERSION);
        this.path = path;
        this.relu = relu;
        for (Pair<String, Block> child : parallel.getChildren()) {
            branches.add(addChildBlock(child.getValue().getClass().getSimpleName(), child.getValue()));
        }
        for (int i = 0; i < branches.size(); i++) {
            Quantizer q = addChildBlock("operandQuantizer", spec.create(QuantizerRole.SIGNED_ACTIVATION));
            q.setLayerName(path + " (sum operand " + (i + 1) + ")");
            operandQuantizers.add(q);
        }
        outputQuantizer = addChildBlock("sumQuantizer", spec.create(relu ? QuantizerRole.ACTIVATION : QuantizerRole.SIGNED_ACTIVATION));
        outputQuantizer.setLayerName(path + " (sum)");
        if (parallel.isInitialized()) {
            // a trained model is wrapped: ready at once, activation scales calibrate on the first batch
            NDArray any = parallel.getParameters().get(0).getValue().getArray();
            initialize(any.getManager(), any.getDataType(), parallel.getInputShapes());
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDManager batch = inputs.head().getManager();
        NDArray sum = null;
        for (int i = 0; i < branches.size(); i++) {
            NDArray y = branches.get(i).forward(parameterStore, inputs, training, params).singletonOrThrow();
            NDArray q = operandQuantizers.get(i).quantize(parameterStore, y, training, batch);
            sum = sum == null ? q : sum.add(q);
        }
        return new NDList(outputQuantizer.quantize(parameterStore, relu ? Activation.relu(sum) : sum, training, batch));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape out = null;
        for (int i = 0; i < branches.size(); i++) {
            Block branch = branches.get(i);
            branch.initialize(manager, dataType, inputShapes);
            out = branch.getOutputShapes(inputShapes)[0];
            operandQuantizers.get(i).initialize(manager, dataType, out);
        }
        outputQuantizer.initialize(manager, dataType, out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return branches.get(0).getOutputShapes(inputShapes);
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(path + ": quantized sum format version " + loadVersion + " is not supported.");
        }
        readInputShapes(is);
    }

    /**
     * Returns the branches, in order.
     *
     * @return the branch blocks
     */
    public List<Block> getBranches() {
        return Collections.unmodifiableList(branches);
    }

    /**
     * Returns the quantizer of branch {@code i}'s output.
     *
     * @param i the branch index
     * @return the quantizer
     */
    public Quantizer getOperandQuantizer(int i) {
        return operandQuantizers.get(i);
    }

    /**
     * Returns the quantizer of the sum.
     *
     * @return the quantizer
     */
    public Quantizer getOutputQuantizer() {
        return outputQuantizer;
    }

    /**
     * Returns every quantizer: the operands' in branch order, then the sum's.
     *
     * @return the quantizers
     */
    public List<Quantizer> getQuantizers() {
        List<Quantizer> all = new ArrayList<>(operandQuantizers);
        all.add(outputQuantizer);
        return Collections.unmodifiableList(all);
    }

    /**
     * Returns whether a ReLU follows the sum.
     *
     * @return true for a {@link ParallelJoin#SUM_RELU} join
     */
    public boolean hasRelu() {
        return relu;
    }

    /**
     * Returns the block's path in the model.
     *
     * @return the path
     */
    public String getPath() {
        return path;
    }

    /**
     * Describes the quantization, e.g. {@code sum of 2: lsq(8 bits, signed, per-tensor)}.
     *
     * @return the description
     */
    public String describe() {
        return "sum of " + branches.size() + (relu ? " + relu" : "") + ": " + outputQuantizer.describe();
    }
}
