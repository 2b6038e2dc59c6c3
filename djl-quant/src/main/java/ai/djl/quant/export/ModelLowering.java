package ai.djl.quant.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.export.LoweringTarget.BatchNormValues;
import ai.djl.quant.export.LoweringTarget.ConvGeometry;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.nn.ParallelJoin;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.nn.QuantizedSum;
import ai.djl.quant.quantizers.Codebook;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Lowers an initialized DJL model, float or wrapped, to the operations of a {@link LoweringTarget}
 * in execution order: the shared front end of the ONNX exporter and the integer engine.
 *
 * <ul>
 *   <li>SequentialBlock runs its children in order; a BatchNorm right after a convolution is
 *       folded into it ({@code w' = w·γ/√(σ²+ε)}, {@code b' = β + (b - μ)·γ/√(σ²+ε)}; on quantized
 *       weights the factor goes into the channel scales, the codes are unchanged);
 *   <li>ParallelBlock runs its branches on the same input and joins them by sum or channel
 *       concatenation, recognised by evaluating its join function;
 *   <li>quantized layers quantize their input on the input quantizer's uniform grid and carry their
 *       weights as the weight quantizer's hard codebook;
 *   <li>LambdaBlocks are recognised by name: identity, ReLU, ReLU6, globalAvgPool2d, batchFlatten.
 * </ul>
 *
 * <p>Anything else is refused with an {@link UnsupportedOperationException} naming its path.
 */
public final class ModelLowering<T> {

    private final LoweringTarget<T> target;
    private final ParameterStore store;
    private final NDManager manager;

    private ModelLowering(LoweringTarget<T> target, NDManager manager) {
        this.target = target;
        this.manager = manager;
        this.store = new ParameterStore(manager, false);
    }

    /**
     * Lowers a model.
     *
     * @param block an initialized model (wrapped models: calibrated or loaded)
     * @param target what to lower to
     * @param input the target's handle of the model input
     * @param <T> the target's tensor handle
     * @return the handle of the model output
     * @throws UnsupportedOperationException when a block has no lowering, naming its path
     */
    public static <T> T lower(Block block, LoweringTarget<T> target, T input) {
        if (!block.isInitialized()) {
            throw new IllegalStateException("Initialize the model (or load it) before exporting it");
        }
        NDManager owner = block.getParameters().get(0).getValue().getArray().getManager();
        try (NDManager scope = owner.newSubManager()) {
            return new ModelLowering<>(target, scope).walk(block, block.getClass().getSimpleName(), input);
        }
    }

    private T walk(Block block, String path, T x) {
        if (block instanceof QuantizedNetwork network) {
            return walk(network.getNetwork(), path, x);
        }
        if (block instanceof SequentialBlock) {
            List<Pair<String, Block>> children = block.getChildren().stream().toList();
            for (int i = 0; i < children.size(); i++) {
                Block child = children.get(i).getValue();
                String childPath = path + "/" + children.get(i).getKey();
                Block next = i + 1 < children.size() ? children.get(i + 1).getValue() : null;
                if (isConvolution(child) && next instanceof BatchNorm bn) {
                    x = layer(child, bn, childPath, x);
                    i++;
                } else {
                    x = walk(child, childPath, x);
                }
            }
            return x;
        }
        if (block instanceof QuantizedSum sum) {
            List<T> operands = new ArrayList<>();
            List<Pair<String, Block>> children = sum.getChildren().stream().toList();
            for (int i = 0; i < sum.getBranches().size(); i++) {
                T y = walk(children.get(i).getValue(), path + "/" + children.get(i).getKey(), x);
                operands.add(quantize(y, sum.getOperandQuantizer(i), path));
            }
            T total = target.sum(operands);
            return quantize(sum.hasRelu() ? target.relu(total) : total, sum.getOutputQuantizer(), path);
        }
        if (block instanceof ParallelBlock parallel) {
            List<T> outputs = new ArrayList<>();
            for (Pair<String, Block> child : parallel.getChildren()) {
                outputs.add(walk(child.getValue(), path + "/" + child.getKey(), x));
            }
            return join(parallel, path, outputs);
        }
        if (block instanceof QuantizedLayer || block instanceof Conv2d || block instanceof Linear) {
            return layer(block, null, path, x);
        }
        if (block instanceof BatchNorm bn) {
            return target.batchNorm(x, values(bn));
        }
        if (block instanceof LambdaBlock lambda) {
            return switch (lambdaName(lambda)) {
                case "identity" -> x;
                case "ReLU" -> target.relu(x);
                case "ReLU6" -> target.relu6(x);
                case "globalAvgPool2d" -> target.globalAveragePool(x);
                case "batchFlatten" -> target.flatten(x);
                default -> throw new UnsupportedOperationException(path + ": LambdaBlock '" + lambda.getName()
                        + "' has no export (known: identity, ReLU, ReLU6, globalAvgPool2d, batchFlatten, or an anonymous"
                        + " lambda computing identity, ReLU or ReLU6); replace it with one of those or a layer block.");
            };
        }
        throw new UnsupportedOperationException(path + ": " + block.getClass().getName()
                + " has no export; build the model from Conv2d, Linear, BatchNorm, named activation/pooling"
                + " LambdaBlocks, SequentialBlock and ParallelBlock.");
    }

    /**
     * The name of a LambdaBlock; an anonymous one (e.g. {@code add(Activation::relu)}, as DJL's
     * ResNetV1 writes it) is named by what it computes on a probe: identity, ReLU or ReLU6.
     */
    private String lambdaName(LambdaBlock lambda) {
        if (!"anonymous".equals(lambda.getName())) {
            return lambda.getName();
        }
        NDArray probe = manager.randomNormal(0, 4, new Shape(2, 3, 4, 4), DataType.FLOAT32);
        NDArray y;
        try {
            y = lambda.forward(store, new NDList(probe), false).singletonOrThrow();
        } catch (RuntimeException e) {
            return lambda.getName();
        }
        if (!y.getShape().equals(probe.getShape())) {
            return lambda.getName();
        }
        if (y.allClose(probe, 0, 0, false)) {
            return "identity";
        }
        if (y.allClose(GraphConstants.maximum(probe, 0), 0, 0, false)) {
            return "ReLU";
        }
        if (y.allClose(probe.clip(0f, 6f), 0, 0, false)) {
            return "ReLU6";
        }
        return lambda.getName();
    }

    private static boolean isConvolution(Block block) {
        return block instanceof Conv2d || (block instanceof QuantizedLayer q && q.getLayer() instanceof Conv2d);
    }

    /** Lowers the join of a ParallelBlock: a sum or a channel concatenation. */
    private T join(ParallelBlock parallel, String path, List<T> outputs) {
        if (outputs.size() == 1) {
            return outputs.get(0);
        }
        return switch (ParallelJoin.of(parallel, manager)) {
            case SUM -> target.sum(outputs);
            case SUM_RELU -> target.relu(target.sum(outputs));
            case CONCAT -> target.concat(outputs);
            case OTHER -> throw new UnsupportedOperationException(path + ": the ParallelBlock's join is neither a sum nor a"
                    + " concatenation along axis 1, so it has no export.");
        };
    }

    private static BatchNormValues values(BatchNorm bn) {
        var params = bn.getParameters();
        float[] mean = params.get("runningMean").getArray().toFloatArray();
        float[] var = params.get("runningVar").getArray().toFloatArray();
        float[] gamma = params.contains("gamma") ? params.get("gamma").getArray().toFloatArray() : filled(mean.length, 1);
        float[] beta = params.contains("beta") ? params.get("beta").getArray().toFloatArray() : filled(mean.length, 0);
        float epsilon = field(BatchNorm.class, "epsilon", bn);
        return new BatchNormValues(gamma, beta, mean, var, epsilon);
    }

    /** A convolution or linear layer, quantized or not, with an optional BatchNorm folded in. */
    private T layer(Block block, BatchNorm bn, String path, T x) {
        QuantizedLayer quantized = block instanceof QuantizedLayer q ? q : null;
        Block layer = quantized != null ? quantized.getLayer() : block;
        if (quantized != null) {
            requireCalibrated(quantized.getWeightQuantizer(), path);
            Quantizer input = quantized.getInputQuantizer();
            if (input != null) {
                x = quantize(x, input, path);
            }
        }
        NDArray w = layer.getParameters().get("weight").getArray();
        long[] shape = w.getShape().getShape();
        int rows = (int) shape[0];
        float[] factor = filled(rows, 1);
        float[] bias = layer.getParameters().contains("bias") ? layer.getParameters().get("bias").getArray().toFloatArray() : null;
        if (bn != null) {
            BatchNormValues p = values(bn);
            float[] folded = new float[rows];
            for (int r = 0; r < rows; r++) {
                factor[r] = (float) (p.gamma()[r] / Math.sqrt(p.variance()[r] + p.epsilon()));
                folded[r] = p.beta()[r] + ((bias == null ? 0 : bias[r]) - p.mean()[r]) * factor[r];
            }
            bias = folded;
        }
        Codebook book = quantized != null && quantized.getWeightQuantizer() != null
                ? quantized.getWeightQuantizer().codebook(store, w)
                : null;
        LayerWeights weights = new LayerWeights(shape, book, book == null ? w.toFloatArray() : null, factor, quantized);
        if (layer instanceof Conv2d conv) {
            ConvGeometry geometry = new ConvGeometry(conv.getKernelShape().getShape(), conv.getStride().getShape(),
                    conv.getPadding().getShape(), conv.getDilation().getShape(), conv.getGroups());
            return target.conv(x, weights, bias, geometry);
        }
        return target.linear(x, weights, bias);
    }

    /** Quantizes an activation on the quantizer's per-tensor grid of integer levels. */
    private T quantize(T x, Quantizer quantizer, String path) {
        requireCalibrated(quantizer, path);
        Quantizer.IntegerGrid grid = quantizer.integerGrid(store).orElseThrow(() -> new UnsupportedOperationException(path
                + ": the activation quantizer " + quantizer.describe() + " is not a per-tensor grid of integer levels,"
                + " so QuantizeLinear and integer kernels cannot express it; wrap this model without that"
                + " activation quantizer to export it."));
        if (!grid.isUniform() && !target.runsLevelSets()) {
            throw new UnsupportedOperationException(path + ": the activation quantizer " + quantizer.describe()
                    + " rounds to non-uniform levels, which QuantizeLinear cannot express; run the model in"
                    + " IntegerEngine (it computes on these levels) or wrap it with uniform activations to"
                    + " export it to ONNX.");
        }
        return target.quantize(x, grid);
    }

    private static void requireCalibrated(Quantizer q, String path) {
        if (!q.isCalibrated()) {
            throw new IllegalStateException(path + ": the quantizer " + q.describe()
                    + " is not calibrated; run a forward pass or load a trained model before exporting.");
        }
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    @SuppressWarnings("unchecked")
    private static <V> V field(Class<?> owner, String name, Object target) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return (V) f.get(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this DJL version has no " + owner.getSimpleName() + "." + name, e);
        }
    }
}
