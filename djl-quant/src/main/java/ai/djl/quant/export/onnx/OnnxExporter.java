package ai.djl.quant.export.onnx;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.export.LayerWeights;
import ai.djl.quant.export.LoweringTarget;
import ai.djl.quant.export.ModelLowering;
import ai.djl.quant.export.onnx.OnnxGraph.Attribute;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.quantizers.Codebook;
import ai.djl.quant.quantizers.Quantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Exports an initialized DJL model, float or wrapped, to ONNX (opset 21) for ONNX Runtime, through
 * {@link ModelLowering} (BatchNorm folding, residual joins, refusals by path).
 *
 * <ul>
 *   <li>Quantized layers in QDQ form: the input passes {@code QuantizeLinear → DequantizeLinear}
 *       with the quantizer's scale (uint8/int8, zero point 0; a {@code Clip} first when the grid is
 *       narrower than the integer type, e.g. 4 bits; a tensor quantized again, on a grid of its
 *       type and feeding nothing else, takes the other 8-bit type with zero point ±128, the same
 *       grid, which ONNX Runtime's double-pair rewrite leaves alone), and the weights are stored as integer codes
 *       (int8, or int16 when the levels need it) with per-output-channel scales behind a {@code
 *       DequantizeLinear}. Power-of-two, shift and n-hot levels become integers after one common
 *       power-of-two factor, so their weights are exact. Learned level tables are not integers:
 *       those weights are stored as float with their exact quantized values.
 *   <li>Float layers: Conv, Gemm, BatchNormalization, Relu, Clip (ReLU6), GlobalAveragePool,
 *       Flatten, Add and Concat.
 * </ul>
 */
public final class OnnxExporter implements LoweringTarget<String> {

    /** How quantized layers store their weights and biases. */
    public enum Form {
        /**
         * Integer weights, float biases: the outputs equal the fake-quantized model's up to float
         * rounding, but ONNX Runtime dequantizes the weights on every run and convolves in float.
         */
        EXACT,
        /**
         * Integer weights, and int32 biases on the accumulator grid {@code s_input·s_weight[c]}
         * where ONNX Runtime fuses the layer into an integer convolution (QLinearConv: input
         * quantized on a full 8-bit grid, output quantized again, through a ReLU at most) and the
         * bias rounding, at most half an accumulator unit, stays within the bias rounding limit
         * (none unless given, e.g. {@link #PARITY_BIAS_ROUNDING}) of an output step; float biases
         * (exact) elsewhere. With a coarse accumulator (a depthwise kernel of 9 weights with a large
         * folded BatchNorm scale) the rounding moves outputs by up to half a step;
         * {@link #roundBiasesAsExported} makes the DJL model round the same way.
         */
        INTEGER,
        /**
         * {@link #INTEGER} for the layers ONNX Runtime can fuse (integer input on a full 8-bit grid,
         * output quantized again, through a ReLU at most); every other quantized layer (before a
         * residual sum, before a narrow grid, at the output) stores its exact dequantized weights
         * and bias as float, so that ONNX Runtime runs it with its fast float kernels instead of
         * dequantizing weights on every run. The fastest form, and a larger file.
         */
        FAST
    }

    /**
     * A bias rounding limit that favours agreement with the fake-quantized model over speed: a
     * layer gets an int32 bias (and so is fused) only if half an accumulator unit is at most
     * 1/256 of its output step. A bias moved by a fraction f of a step moves about a fraction f of
     * the layer's outputs across a rounding boundary. Measured (DeploymentBenchmark, full test
     * set, W8A8): MobileNetV2, whose depthwise layers (BatchNorm folded) have coarse accumulators,
     * agrees on 99.65 % with it and 99.42 % without, but runs at 1.43 × DJL fp32 instead of 0.31 ×;
     * ResNet18 with quantized sums on 99.89 % / 99.87 %, at 0.48 × / 0.29 ×.
     */
    public static final double PARITY_BIAS_ROUNDING = 1.0 / 256;

    /** The default limit: every fusable layer fuses; the rounding never exceeds half a unit. */
    public static final double ANY_BIAS_ROUNDING = Double.POSITIVE_INFINITY;

    /** The largest magnitude int8 weight codes are widened to ({@link IntegerWeights}). */
    static final int WIDE_CODE_LIMIT = 63;

    private final OnnxGraph graph = new OnnxGraph();
    private final Form form;
    private final double biasRoundingLimit;
    /** The scale of every full-range (fusable) quantized activation tensor, by name. */
    private final Map<String, Float> activationScales = new HashMap<>();
    /** For each tensor computed from a deferred layer's output through ReLU/ReLU6: that output. */
    private final Map<String, String> layerOutputOf = new HashMap<>();
    /** The deferred layer outputs that are quantized again on a full-range grid: that grid's step. */
    private final Map<String, Float> requantized = new HashMap<>();
    private final List<DeferredLayer> deferred = new ArrayList<>();
    /** The integer type of every quantized activation tensor, by the name of its dequantized value. */
    private final Map<String, Integer> dequantizedTypes = new HashMap<>();
    private final List<Requantization> requantizations = new ArrayList<>();

    /**
     * A quantization of a tensor that is already the dequantized value of an 8-bit grid of the
     * same type: its zero point, and with it its type, waits until the graph is known.
     */
    private record Requantization(String input, String zeroName, int type) {}

    /** A layer with integer weights whose weights and bias are stored once the graph is known. */
    private record DeferredLayer(int position, String input, String output, LayerWeights weights, IntegerWeights integer, float[] bias,
            String weightName, String biasName) {}

    private OnnxExporter(Form form, double biasRoundingLimit) {
        if (!(biasRoundingLimit > 0)) {
            throw new IllegalArgumentException("the bias rounding limit must be a positive fraction of a step, got " + biasRoundingLimit);
        }
        this.form = form;
        this.biasRoundingLimit = biasRoundingLimit;
    }

    /**
     * Writes the model as an ONNX file (atomically), integer layers with int32 biases so that ONNX
     * Runtime runs them as integer convolutions ({@link Form#INTEGER}).
     *
     * @param block an initialized model (wrapped models: calibrated or loaded)
     * @param inputShape the shape of one input example, without the batch axis, e.g. (1, 28, 28)
     * @param file the target
     * @return the file size in bytes
     * @throws IOException when writing fails
     * @throws UnsupportedOperationException when a layer has no ONNX form, naming its path
     */
    public static long export(Block block, Shape inputShape, Path file) throws IOException {
        return export(block, inputShape, Form.INTEGER, file);
    }

    /**
     * Writes the model as an ONNX file (atomically) in the given form.
     *
     * @param block an initialized model (wrapped models: calibrated or loaded)
     * @param inputShape the shape of one input example, without the batch axis
     * @param form how quantized layers store weights and biases
     * @param file the target
     * @return the file size in bytes
     * @throws IOException when writing fails
     * @throws UnsupportedOperationException when a layer has no ONNX form, naming its path
     */
    public static long export(Block block, Shape inputShape, Form form, Path file) throws IOException {
        byte[] model = toBytes(block, inputShape, form);
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
     * Encodes the model as ONNX bytes; the input is named {@code input}, with a symbolic batch axis.
     *
     * @param block an initialized model
     * @param inputShape the shape of one example, without the batch axis
     * @param form how quantized layers store weights and biases
     * @return the ONNX {@code ModelProto}
     */
    public static byte[] toBytes(Block block, Shape inputShape, Form form) {
        return toBytes(block, inputShape, form, ANY_BIAS_ROUNDING);
    }

    /**
     * Encodes the model as ONNX bytes with a chosen bias rounding limit: a larger one lets more
     * layers run as integer convolutions, at the cost of more activations rounded differently
     * from the fake-quantized model.
     *
     * @param block an initialized model
     * @param inputShape the shape of one example, without the batch axis
     * @param form how quantized layers store weights and biases
     * @param biasRoundingLimit the largest bias rounding, as a fraction of the output step, for
     *     which a layer gets an int32 bias; {@link #ANY_BIAS_ROUNDING} for all fusable layers
     * @return the ONNX {@code ModelProto}
     */
    public static byte[] toBytes(Block block, Shape inputShape, Form form, double biasRoundingLimit) {
        OnnxExporter exporter = new OnnxExporter(form, biasRoundingLimit);
        String output = ModelLowering.lower(block, exporter, "input");
        exporter.storeDeferredWeights();
        exporter.storeRequantizationZeroPoints();
        long[] in = new long[inputShape.dimension() + 1];
        in[0] = -1;
        System.arraycopy(inputShape.getShape(), 0, in, 1, inputShape.dimension());
        long[] out = block.getOutputShapes(new Shape[] {new Shape(1).addAll(inputShape)})[0].getShape().clone();
        out[0] = -1;
        return exporter.graph.toModel("input", in, output, out);
    }

    @Override
    public String relu(String x) {
        return follows(x, graph.node("Relu", "relu", List.of(x)));
    }

    @Override
    public String relu6(String x) {
        return follows(x, graph.node("Clip", "relu6", List.of(x, scalar("zero", 0), scalar("six", 6))));
    }

    /** Records that {@code y}, an activation of {@code x}, still carries x's layer output. */
    private String follows(String x, String y) {
        String layer = layerOutputOf.get(x);
        if (layer != null) {
            layerOutputOf.put(y, layer);
        }
        return y;
    }

    @Override
    public String globalAveragePool(String x) {
        return flatten(graph.node("GlobalAveragePool", "gap", List.of(x)));
    }

    @Override
    public String flatten(String x) {
        return graph.node("Flatten", "flat", List.of(x), Attribute.integer("axis", 1));
    }

    @Override
    public String sum(List<String> xs) {
        String x = xs.get(0);
        for (int i = 1; i < xs.size(); i++) {
            x = graph.node("Add", "sum", List.of(x, xs.get(i)));
        }
        return x;
    }

    @Override
    public String concat(List<String> xs) {
        return graph.node("Concat", "concat", xs, Attribute.integer("axis", 1));
    }

    @Override
    public String batchNorm(String x, BatchNormValues bn) {
        long c = bn.mean().length;
        return graph.node("BatchNormalization", "bn", List.of(x, graph.floats("gamma", bn.gamma(), c), graph.floats("beta", bn.beta(), c),
                graph.floats("mean", bn.mean(), c), graph.floats("var", bn.variance(), c)), Attribute.real("epsilon", bn.epsilon()));
    }

    @Override
    public String quantize(String x, Quantizer.IntegerGrid grid) {
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
        boolean narrow = grid.min() > low || grid.max() < high;
        if (!narrow && layerOutputOf.containsKey(x)) {
            requantized.put(layerOutputOf.get(x), grid.scale());
        }
        if (narrow) {
            x = graph.node("Clip", "clip", List.of(x, scalar("lo", grid.min() * grid.scale()), scalar("hi", grid.max() * grid.scale())));
        }
        String scale = scalar("act_scale", grid.scale());
        String zero;
        if (!narrow && type != OnnxGraph.INT16 && Integer.valueOf(type).equals(dequantizedTypes.get(x))) {
            zero = graph.fresh("act_zero");
            requantizations.add(new Requantization(x, zero, type));
        } else {
            zero = graph.integers("act_zero", type, new int[] {0});
        }
        String quantized = graph.node("QuantizeLinear", "act_q", List.of(x, scale, zero));
        String dequantized = graph.node("DequantizeLinear", "act", List.of(quantized, scale, zero));
        dequantizedTypes.put(dequantized, type);
        if (!narrow) {
            // a clipped (narrow) grid keeps ONNX Runtime from fusing the layer anyway: its bias stays
            // float, exact, rather than rounded for a fusion that cannot happen
            activationScales.put(dequantized, grid.scale());
        }
        return dequantized;
    }

    @Override
    public String conv(String x, LayerWeights weights, float[] bias, ConvGeometry g) {
        long[] p = g.padding();
        return layer(x, weights, bias, inputs -> graph.node("Conv", "conv", inputs,
                Attribute.ints("kernel_shape", g.kernel()),
                Attribute.ints("strides", g.stride()),
                Attribute.ints("pads", p[0], p[1], p[0], p[1]),
                Attribute.ints("dilations", g.dilation()),
                Attribute.integer("group", g.groups())));
    }

    @Override
    public String linear(String x, LayerWeights weights, float[] bias) {
        return layer(x, weights, bias, inputs -> graph.node("Gemm", "linear", inputs, Attribute.integer("transB", 1)));
    }

    /** Adds a convolution or linear node; integer weights and their bias wait for the graph. */
    private String layer(String x, LayerWeights weights, float[] bias, Function<List<String>, String> node) {
        String weightName = graph.fresh("weight");
        String biasName = bias == null ? null : graph.fresh("bias");
        List<String> inputs = new ArrayList<>(List.of(x, weightName));
        if (bias != null) {
            inputs.add(biasName);
        }
        if (form != Form.EXACT && weights.integerExponent().isPresent()) {
            // whether ONNX Runtime can fuse this layer depends on what consumes its output
            int position = graph.position();
            String output = node.apply(inputs);
            deferred.add(new DeferredLayer(position, x, output, weights, IntegerWeights.of(weights), bias, weightName, biasName));
            layerOutputOf.put(output, output);
            return output;
        }
        weight(IntegerWeights.of(weights), weights, weightName);
        if (bias != null) {
            graph.namedFloats(biasName, bias, bias.length);
        }
        return node.apply(inputs);
    }

    /**
     * Makes a wrapped model compute, in deploy mode, what its export computes in ONNX Runtime: every
     * layer to which {@link Form#INTEGER} (with this bias rounding limit) gives an int32 bias adds
     * that bias's rounding to its output ({@link QuantizedLayer#setDeployBiasRounding}), so the
     * model's activations and accuracy are the deployment's and the two differ only by float
     * rounding. A fused layer's bias, a following BatchNorm folded in, is {@code round(b'[c] /
     * u[c])·u[c]} on the accumulator grid {@code u[c] = s_input·s_weight[c]·γ[c]/√(σ²[c]+ε)}; before
     * the BatchNorm that is a shift of {@code (round(b'/u)·u - b')·√(σ²+ε)/γ}. Every other layer's
     * rounding is removed. Not saved with the model: call it again after loading or re-estimating
     * BatchNorm statistics.
     *
     * @param block a wrapped model (calibrated or loaded)
     * @param inputShape the shape of one example, without the batch axis
     * @param biasRoundingLimit the limit the export will use ({@link #ANY_BIAS_ROUNDING} by default)
     * @return the number of layers whose bias is rounded
     */
    public static int roundBiasesAsExported(Block block, Shape inputShape, double biasRoundingLimit) {
        OnnxExporter exporter = new OnnxExporter(Form.INTEGER, biasRoundingLimit);
        ModelLowering.lower(block, exporter, "input");
        int rounded = 0;
        for (DeferredLayer d : exporter.deferred) {
            QuantizedLayer layer = d.weights().source();
            int[] codes = exporter.fusedBias(d);
            if (codes == null || d.bias() == null) {
                layer.setDeployBiasRounding(null);
                continue;
            }
            float[] unit = exporter.accumulatorScales(d);
            float[] factor = d.weights().rowFactor();
            float[] shift = new float[codes.length];
            for (int c = 0; c < codes.length; c++) {
                shift[c] = (float) (((double) codes[c] * unit[c] - d.bias()[c]) / factor[c]);
            }
            layer.setDeployBiasRounding(shift);
            rounded++;
        }
        return rounded;
    }

    /**
     * Stores each deferred layer's weights and bias: integer weights with an int32 bias where ONNX
     * Runtime fuses the layer; elsewhere integer weights and a float bias ({@link Form#INTEGER}) or
     * both float ({@link Form#FAST}).
     */
    private void storeDeferredWeights() {
        // last first: inserting before a later node leaves the earlier positions valid
        for (int i = deferred.size() - 1; i >= 0; i--) {
            DeferredLayer d = deferred.get(i);
            int[] biasCodes = fusedBias(d);
            graph.insertAt(d.position(), () -> {
                if (biasCodes != null || form == Form.INTEGER) {
                    weight(d.integer(), d.weights(), d.weightName());
                } else {
                    graph.namedFloats(d.weightName(), d.weights().floats(), d.weights().shape());
                }
                if (d.bias() == null) {
                    return;
                }
                if (biasCodes == null) {
                    graph.namedFloats(d.biasName(), d.bias(), d.bias().length);
                    return;
                }
                float[] scales = accumulatorScales(d);
                String q = graph.integers("bias_q", OnnxGraph.INT32, biasCodes, biasCodes.length);
                String zero = graph.integers("bias_zero", OnnxGraph.INT32, new int[scales.length], scales.length);
                graph.namedNode("DequantizeLinear", d.biasName(), List.of(q, graph.floats("bias_scale", scales, scales.length), zero),
                        Attribute.integer("axis", 0));
            });
        }
    }

    /**
     * Gives each requantization its zero point. ONNX Runtime replaces {@code Q1 → DQ1 → Q2 → DQ2}
     * of one 8-bit type, when DQ1 feeds nothing else, by a single pair on a grid it derives from
     * the two (for two symmetric grids: the finer one), which is not what the model computes
     * (MobileNetV2 with quantized sums: a sum feeding one convolution). Such a second pair is
     * written in the other 8-bit type with its zero point moved by 128, the same grid exactly
     * ({@code int8 q ↔ uint8 q + 128}), which ONNX Runtime leaves as it is; where DQ1 has other
     * consumers the pair keeps its type (and zero point 0) so that its consumers still fuse.
     */
    private void storeRequantizationZeroPoints() {
        for (Requantization r : requantizations) {
            if (graph.consumers(r.input()) == 1) {
                boolean signed = r.type() == OnnxGraph.INT8;
                graph.namedIntegers(r.zeroName(), signed ? OnnxGraph.UINT8 : OnnxGraph.INT8, new int[] {signed ? 128 : -128});
            } else {
                graph.namedIntegers(r.zeroName(), r.type(), new int[] {0});
            }
        }
    }

    /**
     * The int32 bias codes of a layer ONNX Runtime fuses, on the accumulator grid {@code
     * s_input·s_weight[c]}; null when the layer is not fused: its input or output is not on a full
     * 8-bit grid, its weights need more than 8 bits, a code overflows, or the rounding (half an
     * accumulator unit) exceeds the chosen limit of the output step. A layer without bias fuses
     * whenever its input and output allow (an empty array).
     */
    private int[] fusedBias(DeferredLayer d) {
        Float outputScale = requantized.get(d.output());
        IntegerWeights w = d.integer();
        if (!activationScales.containsKey(d.input()) || outputScale == null || w == null || w.type() != OnnxGraph.INT8) {
            return null; // QLinearConv takes int8 weights only
        }
        return d.bias() == null ? new int[0] : int32Bias(d.bias(), accumulatorScales(d), outputScale, biasRoundingLimit);
    }

    /**
     * Rounds a bias to the accumulator grid: {@code round(b[c] / u[c])}, or null when a code
     * overflows int32 or when {@code u[c]/2 > limit · outputStep} for some channel.
     *
     * @param bias the float bias b
     * @param accumulatorScales u, {@code s_input·s_weight[c]}
     * @param outputStep the step of the grid the layer's output is quantized to
     * @param limit the largest rounding allowed, as a fraction of the output step
     * @return the int32 codes, or null when the bias must stay float
     */
    static int[] int32Bias(float[] bias, float[] accumulatorScales, float outputStep, double limit) {
        int[] codes = new int[bias.length];
        for (int c = 0; c < codes.length; c++) {
            double q = Math.rint(bias[c] / accumulatorScales[c]);
            if (!(Math.abs(q) < Integer.MAX_VALUE) || accumulatorScales[c] / 2.0 > limit * outputStep) {
                return null;
            }
            codes[c] = (int) q;
        }
        return codes;
    }

    /** The accumulator unit {@code s_input·s_weight[c]} of each output channel of a deferred layer. */
    private float[] accumulatorScales(DeferredLayer d) {
        float inputScale = activationScales.get(d.input());
        float[] weightScales = d.integer().scales();
        float[] scales = new float[weightScales.length];
        for (int c = 0; c < scales.length; c++) {
            scales[c] = inputScale * weightScales[c];
        }
        return scales;
    }

    /** The weights (as {@code name}): integer codes behind a DequantizeLinear when they allow, float values otherwise. */
    private void weight(IntegerWeights w, LayerWeights weights, String name) {
        if (w == null) {
            graph.namedFloats(name, weights.floats(), weights.shape());
            return;
        }
        String q = graph.integers("weight_q", w.type(), w.codes(), weights.shape());
        String zero = graph.integers("weight_zero", w.type(), new int[w.scales().length], w.scales().length);
        graph.namedNode("DequantizeLinear", name, List.of(q, graph.floats("weight_scale", w.scales(), w.scales().length), zero),
                Attribute.integer("axis", 0));
    }

    /**
     * A layer's weights as integer codes and per-output-channel scales, {@code w = code·scale}.
     *
     * <p>Each channel's int8 codes are multiplied by the largest power of two that keeps them
     * within ±{@value #WIDE_CODE_LIMIT}, and its scale divided by it: the same weight values
     * exactly, but an accumulator unit {@code s_input·scale[c]} that many times finer, and an int32
     * bias rounded on it moves the output that many times less. Codes often use little of the int8
     * range: at most 7 at 4 bits, and LSQ's initial 8-bit step {@code 2·mean|w|/√127} leaves a
     * channel's largest code far below 127 unless its weights have long tails. The limit is 7-bit
     * (ONNX Runtime's {@code reduce_range}): on x86 CPUs without VNNI its u8s8 kernels add pairs of
     * u8·s8 products in int16, which 255·63·2 cannot overflow; codes beyond it stay as they are.
     *
     * @param codes the codes, row-major by output channel
     * @param scales the scale of each output channel
     * @param type {@link OnnxGraph#INT8} or {@link OnnxGraph#INT16}
     */
    private record IntegerWeights(int[] codes, float[] scales, int type) {

        /** Null when the weights are not integer codes or need more than 16 bits. */
        static IntegerWeights of(LayerWeights weights) {
            OptionalInt exponent = weights.integerExponent();
            if (exponent.isEmpty()) {
                return null;
            }
            Codebook book = weights.scaledCodebook();
            int[] codes = book.integerCodes(exponent.getAsInt());
            int rows = weights.rows();
            int perRow = codes.length / rows;
            int min = 0;
            int max = 0;
            for (int c : codes) {
                min = Math.min(min, c);
                max = Math.max(max, c);
            }
            if (min < Short.MIN_VALUE || max > Short.MAX_VALUE) {
                return null;
            }
            boolean int8 = min >= Byte.MIN_VALUE && max <= Byte.MAX_VALUE;
            float[] scales = new float[rows];
            for (int r = 0; r < rows; r++) {
                int widest = 0;
                for (int i = r * perRow; i < (r + 1) * perRow; i++) {
                    widest = Math.max(widest, Math.abs(codes[i]));
                }
                int shift = 0;
                while (int8 && widest > 0 && widest << (shift + 1) <= WIDE_CODE_LIMIT) {
                    shift++;
                }
                for (int i = r * perRow; i < (r + 1) * perRow; i++) {
                    codes[i] <<= shift;
                }
                scales[r] = (float) Math.scalb((double) book.scale(r), -exponent.getAsInt() - shift);
            }
            return new IntegerWeights(codes, scales, int8 ? OnnxGraph.INT8 : OnnxGraph.INT16);
        }
    }

    private String scalar(String hint, float value) {
        return graph.floats(hint, new float[] {value});
    }
}
