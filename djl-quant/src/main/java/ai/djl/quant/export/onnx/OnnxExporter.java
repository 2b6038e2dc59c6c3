package ai.djl.quant.export.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.export.onnx.OnnxGraph.Attribute;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.Codebook;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Exports an initialized DJL model, float or wrapped, to ONNX (opset 21) for ONNX Runtime.
 *
 * <ul>
 *   <li>Quantized layers in QDQ form: the input passes {@code QuantizeLinear → DequantizeLinear}
 *       with the quantizer's scale (uint8/int8, zero point 0; a {@code Clip} first when the grid is
 *       narrower than the integer type, e.g. 4 bits), and the weights are stored as integer codes
 *       (int8, or int16 when the levels need it) with per-output-channel scales behind a {@code
 *       DequantizeLinear}. Power-of-two, shift and n-hot levels become integers after one common
 *       power-of-two factor, so their weights are exact. Learned level tables are not integers:
 *       those weights are stored as float with their exact quantized values.
 *   <li>A BatchNorm directly after a convolution is folded into it: {@code w' = w·γ/√(σ²+ε)},
 *       {@code b' = β + (b - μ)·γ/√(σ²+ε)}; on integer weights the factor goes into the channel
 *       scale, so the codes are unchanged (not folded when a factor is not positive).
 *   <li>Float layers: Conv, Gemm, BatchNormalization, Relu, Clip (ReLU6), GlobalAveragePool,
 *       Flatten, Add/Concat for parallel branches (the join is recognised by evaluating it).
 * </ul>
 *
 * <p>Anything else (a LambdaBlock without an ONNX equivalent, an activation quantizer whose levels
 * are not a uniform per-tensor grid) is refused with its path named.
 */
public final class OnnxExporter {

    private final OnnxGraph graph = new OnnxGraph();
    private final ParameterStore store;
    private final NDManager manager;

    private OnnxExporter(NDManager manager) {
        this.manager = manager;
        this.store = new ParameterStore(manager, false);
    }

    /**
     * Writes the model as an ONNX file (atomically).
     *
     * @param block an initialized model (wrapped models: calibrated or loaded)
     * @param inputShape the shape of one input example, without the batch axis, e.g. (1, 28, 28)
     * @param file the target
     * @return the file size in bytes
     * @throws IOException when writing fails
     * @throws UnsupportedOperationException when a layer has no ONNX form, naming its path
     */
    public static long export(Block block, Shape inputShape, Path file) throws IOException {
        byte[] model = toBytes(block, inputShape);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, model);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return model.length;
    }

    /**
     * Encodes the model as ONNX bytes.
     *
     * @param block an initialized model
     * @param inputShape the shape of one example, without the batch axis
     * @return the ONNX {@code ModelProto}
     */
    public static byte[] toBytes(Block block, Shape inputShape) {
        if (!block.isInitialized()) {
            throw new IllegalStateException("Initialize the model (or load it) before exporting it to ONNX");
        }
        NDManager owner = block.getParameters().get(0).getValue().getArray().getManager();
        try (NDManager scope = owner.newSubManager()) {
            OnnxExporter exporter = new OnnxExporter(scope);
            String output = exporter.walk(block, block.getClass().getSimpleName(), "input");
            long[] in = new long[inputShape.dimension() + 1];
            in[0] = -1;
            System.arraycopy(inputShape.getShape(), 0, in, 1, inputShape.dimension());
            Shape single = new Shape(1).addAll(inputShape);
            long[] out = block.getOutputShapes(new Shape[] {single})[0].getShape().clone();
            out[0] = -1;
            return exporter.graph.toModel("input", in, output, out);
        }
    }

    private String walk(Block block, String path, String x) {
        if (block instanceof QuantizedNetwork network) {
            return walk(network.getNetwork(), path, x);
        }
        if (block instanceof SequentialBlock) {
            List<Pair<String, Block>> children = block.getChildren().stream().toList();
            for (int i = 0; i < children.size(); i++) {
                Block child = children.get(i).getValue();
                String childPath = path + "/" + children.get(i).getKey();
                Block next = i + 1 < children.size() ? children.get(i + 1).getValue() : null;
                if (isConvolution(child) && next instanceof BatchNorm bn && foldable(bn)) {
                    x = layer(child, bn, childPath, x);
                    i++;
                } else {
                    x = walk(child, childPath, x);
                }
            }
            return x;
        }
        if (block instanceof ParallelBlock parallel) {
            List<String> outputs = new ArrayList<>();
            for (Pair<String, Block> child : parallel.getChildren()) {
                outputs.add(walk(child.getValue(), path + "/" + child.getKey(), x));
            }
            return join(parallel, path, outputs);
        }
        if (block instanceof QuantizedLayer || block instanceof Conv2d || block instanceof Linear) {
            return layer(block, null, path, x);
        }
        if (block instanceof BatchNorm bn) {
            return batchNorm(bn, path, x);
        }
        if (block instanceof LambdaBlock lambda) {
            return lambda(lambda, path, x);
        }
        throw new UnsupportedOperationException(path + ": " + block.getClass().getName()
                + " has no ONNX export; build the model from Conv2d, Linear, BatchNorm, named activation/pooling"
                + " LambdaBlocks, SequentialBlock and ParallelBlock.");
    }

    private static boolean isConvolution(Block block) {
        return block instanceof Conv2d || (block instanceof QuantizedLayer q && q.getLayer() instanceof Conv2d);
    }

    private String lambda(LambdaBlock lambda, String path, String x) {
        return switch (lambda.getName()) {
            case "identity" -> x;
            case "ReLU" -> graph.node("Relu", "relu", List.of(x));
            case "ReLU6" -> graph.node("Clip", "relu6", List.of(x, graph.floats("zero", new float[] {0}), graph.floats("six", new float[] {6})));
            case "globalAvgPool2d" -> graph.node("Flatten", "pooled",
                    List.of(graph.node("GlobalAveragePool", "gap", List.of(x))), Attribute.integer("axis", 1));
            case "batchFlatten" -> graph.node("Flatten", "flat", List.of(x), Attribute.integer("axis", 1));
            default -> throw new UnsupportedOperationException(path + ": LambdaBlock '" + lambda.getName()
                    + "' has no ONNX export (known: identity, ReLU, ReLU6, globalAvgPool2d, batchFlatten); replace it"
                    + " with one of those or a layer block.");
        };
    }

    /** Recognises the join of a ParallelBlock by evaluating it on two small tensors. */
    private String join(ParallelBlock parallel, String path, List<String> outputs) {
        Function<List<NDList>, NDList> function = field(ParallelBlock.class, "function", parallel);
        if (outputs.size() == 1) {
            return outputs.get(0);
        }
        List<NDList> probe = new ArrayList<>();
        NDArray sum = null;
        List<NDArray> parts = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            NDArray a = manager.randomNormal(new Shape(2, 3, 2, 2));
            probe.add(new NDList(a));
            parts.add(a);
            sum = sum == null ? a : sum.add(a);
        }
        NDArray result = function.apply(probe).singletonOrThrow();
        if (result.getShape().equals(sum.getShape()) && result.allClose(sum, 1e-5, 1e-6, false)) {
            String x = outputs.get(0);
            for (int i = 1; i < outputs.size(); i++) {
                x = graph.node("Add", "sum", List.of(x, outputs.get(i)));
            }
            return x;
        }
        NDArray concat = NDArrays.concat(new NDList(parts), 1);
        if (result.getShape().equals(concat.getShape()) && result.allClose(concat, 0, 0, false)) {
            return graph.node("Concat", "concat", outputs, Attribute.integer("axis", 1));
        }
        throw new UnsupportedOperationException(path + ": the ParallelBlock's join is neither a sum nor a concatenation"
                + " along axis 1, so it has no ONNX export.");
    }

    private String batchNorm(BatchNorm bn, String path, String x) {
        float[][] p = batchNormParameters(bn);
        float epsilon = field(BatchNorm.class, "epsilon", bn);
        long c = p[0].length;
        return graph.node("BatchNormalization", "bn", List.of(x, graph.floats("gamma", p[0], c), graph.floats("beta", p[1], c),
                graph.floats("mean", p[2], c), graph.floats("var", p[3], c)), Attribute.real("epsilon", epsilon));
    }

    /** gamma, beta, running mean, running variance (defaults where the block has none). */
    private static float[][] batchNormParameters(BatchNorm bn) {
        var params = bn.getParameters();
        float[] mean = params.get("runningMean").getArray().toFloatArray();
        float[] var = params.get("runningVar").getArray().toFloatArray();
        float[] gamma = params.contains("gamma") ? params.get("gamma").getArray().toFloatArray() : filled(mean.length, 1);
        float[] beta = params.contains("beta") ? params.get("beta").getArray().toFloatArray() : filled(mean.length, 0);
        return new float[][] {gamma, beta, mean, var};
    }

    private static boolean foldable(BatchNorm bn) {
        float[][] p = batchNormParameters(bn);
        for (float g : p[0]) {
            if (!(g > 0)) {
                return false; // a negative factor would flip the integer codes' sign: keep the BatchNorm
            }
        }
        return true;
    }

    /** A convolution or linear layer, quantized or not, with an optional BatchNorm folded in. */
    private String layer(Block block, BatchNorm bn, String path, String x) {
        QuantizedLayer quantized = block instanceof QuantizedLayer q ? q : null;
        Block layer = quantized != null ? quantized.getLayer() : block;
        if (quantized != null) {
            for (Quantizer q : quantized.getQuantizers()) {
                if (!q.isCalibrated()) {
                    throw new IllegalStateException(path + ": the quantizer " + q.describe()
                            + " is not calibrated; run a forward pass or load a trained model before exporting.");
                }
            }
            if (quantized.getInputQuantizer() != null) {
                x = quantizeDequantize(quantized.getInputQuantizer(), path, x);
            }
        }
        Parameter weightParameter = layer.getParameters().get("weight");
        NDArray w = weightParameter.getArray();
        long[] dims = w.getShape().getShape();
        int rows = (int) dims[0];
        float[] factor = filled(rows, 1);
        float[] bias = layer.getParameters().contains("bias") ? layer.getParameters().get("bias").getArray().toFloatArray() : null;
        if (bn != null) {
            float[][] p = batchNormParameters(bn);
            float epsilon = field(BatchNorm.class, "epsilon", bn);
            float[] folded = new float[rows];
            for (int r = 0; r < rows; r++) {
                factor[r] = (float) (p[0][r] / Math.sqrt(p[3][r] + epsilon));
                folded[r] = p[1][r] + ((bias == null ? 0 : bias[r]) - p[2][r]) * factor[r];
            }
            bias = folded;
        }
        Codebook book = quantized != null && quantized.getWeightQuantizer() != null
                ? quantized.getWeightQuantizer().codebook(store, w)
                : null;
        String weight = weight(path, book, book == null ? w.toFloatArray() : null, dims, factor);
        List<String> inputs = new ArrayList<>(List.of(x, weight));
        if (bias != null) {
            inputs.add(graph.floats("bias", bias, rows));
        }
        if (layer instanceof Conv2d conv) {
            Shape k = conv.getKernelShape();
            Shape s = conv.getStride();
            Shape p = conv.getPadding();
            Shape d = conv.getDilation();
            return graph.node("Conv", "conv", inputs,
                    Attribute.ints("kernel_shape", k.getShape()),
                    Attribute.ints("strides", s.getShape()),
                    Attribute.ints("pads", p.get(0), p.get(1), p.get(0), p.get(1)),
                    Attribute.ints("dilations", d.getShape()),
                    Attribute.integer("group", conv.getGroups()));
        }
        return graph.node("Gemm", "linear", inputs, Attribute.integer("transB", 1));
    }

    /**
     * The weights: integer codes behind a DequantizeLinear when the levels are integers up to one
     * power-of-two factor and every channel scale is positive, float values otherwise.
     */
    private String weight(String path, Codebook book, float[] floats, long[] dims, float[] factor) {
        int rows = (int) dims[0];
        if (book != null) {
            Optional<String> integer = integerWeight(book, dims, factor);
            if (integer.isPresent()) {
                return integer.get();
            }
            floats = book.decode();
        }
        int perRow = floats.length / rows;
        float[] scaled = new float[floats.length];
        for (int i = 0; i < floats.length; i++) {
            scaled[i] = floats[i] * factor[i / perRow];
        }
        return graph.floats("weight", scaled, dims);
    }

    private Optional<String> integerWeight(Codebook book, long[] dims, float[] factor) {
        if (book.tableRows() != 1) {
            return Optional.empty();
        }
        float[] levels = book.levels();
        for (int shift = 0; shift <= 15; shift++) {
            float unit = (float) Math.scalb(1.0, shift);
            int[] asInt = new int[levels.length];
            boolean integral = true;
            int min = 0;
            int max = 0;
            for (int i = 0; i < levels.length && integral; i++) {
                float v = levels[i] * unit;
                integral = v == Math.rint(v);
                asInt[i] = (int) v;
                min = Math.min(min, asInt[i]);
                max = Math.max(max, asInt[i]);
            }
            if (!integral) {
                continue;
            }
            if (min < Short.MIN_VALUE || max > Short.MAX_VALUE) {
                return Optional.empty();
            }
            int rows = (int) dims[0];
            float[] scales = new float[rows];
            for (int r = 0; r < rows; r++) {
                scales[r] = book.scales()[book.scales().length == 1 ? 0 : r] / unit * factor[r];
                if (!(scales[r] > 0) || Float.isInfinite(scales[r])) {
                    return Optional.empty();
                }
            }
            int[] codes = new int[book.codes().length];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = asInt[book.codes()[i]];
            }
            int type = min >= Byte.MIN_VALUE && max <= Byte.MAX_VALUE ? OnnxGraph.INT8 : OnnxGraph.INT16;
            String q = graph.integers("weight_q", type, codes, dims);
            return Optional.of(graph.node("DequantizeLinear", "weight", List.of(q, graph.floats("weight_scale", scales, rows)),
                    Attribute.integer("axis", 0)));
        }
        return Optional.empty();
    }

    private String quantizeDequantize(Quantizer q, String path, String x) {
        Quantizer.UniformGrid grid = q.uniformGrid(store).orElseThrow(() -> new UnsupportedOperationException(path
                + ": the input quantizer " + q.describe() + " is not a per-tensor uniform grid, so QuantizeLinear cannot"
                + " express it; export this layer's input unquantized by wrapping without activation quantization."));
        int type;
        int low;
        int high;
        if (grid.min() >= 0 && grid.max() <= 255) {
            type = OnnxGraph.UINT8;
            low = 0;
            high = 255;
        } else if (grid.min() >= -128 && grid.max() <= 127) {
            type = OnnxGraph.INT8;
            low = -128;
            high = 127;
        } else {
            type = OnnxGraph.INT16;
            low = Short.MIN_VALUE;
            high = Short.MAX_VALUE;
        }
        if (grid.min() > low || grid.max() < high) {
            x = graph.node("Clip", "clip", List.of(x, graph.floats("lo", new float[] {grid.min() * grid.scale()}),
                    graph.floats("hi", new float[] {grid.max() * grid.scale()})));
        }
        String scale = graph.floats("act_scale", new float[] {grid.scale()});
        String zero = graph.integers("act_zero", type, new int[] {0});
        String quantized = graph.node("QuantizeLinear", "act_q", List.of(x, scale, zero));
        return graph.node("DequantizeLinear", "act", List.of(quantized, scale, zero));
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    @SuppressWarnings("unchecked")
    private static <T> T field(Class<?> owner, String name, Object target) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return (T) f.get(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this DJL version has no " + owner.getSimpleName() + "." + name, e);
        }
    }
}
