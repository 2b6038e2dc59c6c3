package ai.djl.quant.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.quant.nn.BlockTree;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Operation and size accounting of a model, per convolution/linear layer and in total, so that
 * uniform, power-of-two, shift and n-hot models compare in one table.
 *
 * <p>Per layer and per image:
 *
 * <ul>
 *   <li>MACs = weights × output positions;
 *   <li>BOPs = MACs × weight bits × activation bits (32 for float operands);
 *   <li>shift-adds = Σ over weights of the non-zero signed digits (NAF) of the weight's integer
 *       code, × output positions: a multiplication by an n-hot weight takes at most n shifts and
 *       n−1 additions, by a power of two one shift (quantized layers only; float layers count
 *       their MACs as multiplications instead);
 *   <li>non-zero-weight MACs = Σ over weights with a non-zero code of the output positions: the
 *       floor of every multiplier-free count above, since a non-zero weight takes at least one
 *       shift whatever its digits (quantized layers only). A model whose shift-adds are to fall
 *       below a fraction f of another's must keep its non-zero-weight MACs below f of that
 *       other's shift-adds;
 *   <li>partial products = MACs × {@link Quantizer#multiplierTerms()}: the shift-adds of a
 *       fixed-function multiplier, b per b-bit binary weight, n per n-hot weight, 1 per power of
 *       two, whatever the weight's value (the n-hot paper's accounting; quantized layers only);
 *   <li>storage = weights × index bits ({@code ceil(log2 |levels|)}) / 8, plus 4 bytes per other
 *       stored value (biases, scales).
 * </ul>
 *
 * <p>The model must be initialized (its layers know their input shapes).
 */
public final class CostReport {

    /**
     * One layer's costs.
     *
     * @param path the layer's path
     * @param type Conv2d or Linear
     * @param quantization the quantizers, or {@code fp32}
     * @param weights the number of weights
     * @param weightBits the weight bit width (32 for float)
     * @param indexBits the stored bits per weight
     * @param activationBits the input bit width (32 for float)
     * @param storageBytes the layer's stored bytes
     * @param macs multiply-accumulates per image
     * @param bitOperations BOPs per image
     * @param shiftAdds shift-add operations per image, or -1 for a float layer
     * @param nonZeroWeightMacs MACs per image of the weights whose code is not zero, or -1 for a
     *     float layer
     * @param partialProducts multiplier partial products per image, or -1 for a float layer
     * @param levelTable the learned level tables of the layer, or null
     */
    public record LayerCost(
            String path,
            String type,
            String quantization,
            long weights,
            int weightBits,
            int indexBits,
            int activationBits,
            long storageBytes,
            long macs,
            long bitOperations,
            long shiftAdds,
            long nonZeroWeightMacs,
            long partialProducts,
            float[] levelTable) {}

    private final List<LayerCost> layers;
    private final long modelBytes;

    private CostReport(List<LayerCost> layers, long modelBytes) {
        this.layers = Collections.unmodifiableList(layers);
        this.modelBytes = modelBytes;
    }

    /**
     * Computes the report of an initialized model (float or wrapped).
     *
     * @param model the model's block
     * @return the report
     */
    public static CostReport of(Block model) {
        List<LayerCost> costs = new ArrayList<>();
        NDManager manager = model.getParameters().get(0).getValue().getArray().getManager();
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            collect(model, "", costs, store);
        }
        return new CostReport(costs, ModelSize.bytes(model));
    }

    private static void collect(Block block, String path, List<LayerCost> out, ParameterStore store) {
        if (block instanceof QuantizedLayer layer) {
            out.add(quantized(layer, path, store));
            return;
        }
        if (block instanceof Conv2d || block instanceof Linear) {
            out.add(floating(block, path));
            return;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), BlockTree.join(path, child.getKey()), out, store);
        }
    }

    private static long positions(Block layer, NDArray weight) {
        Shape out = layer.getOutputShapes(layer.getInputShapes())[0];
        // a Linear loaded from a DJL checkpoint records its input without the batch axis
        long examples = out.dimension() > 1 ? out.get(0) : 1;
        return out.size() / (examples * weight.getShape().get(0));
    }

    private static long otherBytes(Block layer) {
        long bytes = 0;
        for (Parameter p : layer.getParameters().values()) {
            if (!"weight".equals(p.getName())) {
                bytes += 4 * p.getArray().size();
            }
        }
        return bytes;
    }

    private static LayerCost floating(Block layer, String path) {
        NDArray w = layer.getDirectParameters().get("weight").getArray();
        long macs = w.size() * positions(layer, w);
        return new LayerCost(
                path, layer.getClass().getSimpleName(), "fp32", w.size(), 32, 32, 32,
                4 * w.size() + otherBytes(layer), macs, macs * 32 * 32, -1, -1, -1, null);
    }

    private static LayerCost quantized(QuantizedLayer layer, String path, ParameterStore store) {
        NDArray w = layer.getWeight().getArray();
        Quantizer wq = layer.getWeightQuantizer();
        Quantizer aq = layer.getInputQuantizer();
        long positions = positions(layer, w);
        long macs = w.size() * positions;
        int aBits = aq == null ? 32 : aq.getBits();
        NDArray perWeight = wq.nonZeroDigits(store, w);
        long digits = Math.round(perWeight.sum().getFloat());
        long nonZero = Math.round(perWeight.gt(0).toType(DataType.FLOAT32, false).sum().getFloat());
        long storage = (w.size() * wq.indexBits() + 7) / 8 + otherBytes(layer);
        return new LayerCost(
                path, layer.getLayer().getClass().getSimpleName(), layer.describe(), w.size(),
                wq.getBits(), wq.indexBits(), aBits, storage, macs, macs * wq.getBits() * aBits,
                digits * positions, nonZero * positions, macs * wq.multiplierTerms(),
                wq instanceof LearnedLevelsQuantizer learned ? learned.getLevelTable() : null);
    }

    /**
     * Returns the layers.
     *
     * @return one entry per convolution/linear layer, in forward order
     */
    public List<LayerCost> getLayers() {
        return layers;
    }

    /**
     * Returns the whole model's deployed size ({@link ModelSize}).
     *
     * @return bytes
     */
    public long modelBytes() {
        return modelBytes;
    }

    /**
     * Returns the stored bytes of the convolution/linear weights alone.
     *
     * @return weight bytes
     */
    public long weightBytes() {
        return layers.stream().mapToLong(l -> (l.weights() * l.indexBits() + 7) / 8).sum();
    }

    /**
     * Returns the total MACs per image.
     *
     * @return MACs
     */
    public long macs() {
        return layers.stream().mapToLong(LayerCost::macs).sum();
    }

    /**
     * Returns the total BOPs per image.
     *
     * @return BOPs
     */
    public long bitOperations() {
        return layers.stream().mapToLong(LayerCost::bitOperations).sum();
    }

    /**
     * Returns the shift-add operations per image of the quantized layers.
     *
     * @return shift-adds
     */
    public long shiftAdds() {
        return layers.stream().filter(l -> l.shiftAdds() >= 0).mapToLong(LayerCost::shiftAdds).sum();
    }

    /**
     * Returns the MACs per image of the quantized layers' non-zero weights: no multiplier-free
     * product of these weights takes fewer shift-adds.
     *
     * @return non-zero-weight MACs
     */
    public long nonZeroWeightMacs() {
        return layers.stream().filter(l -> l.nonZeroWeightMacs() >= 0).mapToLong(LayerCost::nonZeroWeightMacs).sum();
    }

    /**
     * Returns the multiplier partial products per image of the quantized layers.
     *
     * @return partial products
     */
    public long partialProducts() {
        return layers.stream().filter(l -> l.partialProducts() >= 0).mapToLong(LayerCost::partialProducts).sum();
    }

    /**
     * Formats the report as a Markdown table with a total row.
     *
     * @return the table
     */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        String format = "| %s | %s | %d | %d/%d | %d | %d | %d | %d | %s | %s | %s |%n";
        sb.append("| layer | type | weights | W bits/index | A bits | bytes | MACs | BOPs | shift-adds | non-zero-weight MACs | partial products |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (LayerCost l : layers) {
            sb.append(String.format(Locale.ROOT, format, l.path(), l.type(), l.weights(), l.weightBits(), l.indexBits(),
                    l.activationBits(), l.storageBytes(), l.macs(), l.bitOperations(), orDash(l.shiftAdds()), orDash(l.nonZeroWeightMacs()),
                    orDash(l.partialProducts())));
        }
        sb.append(String.format(Locale.ROOT, "| total (model %d bytes) | | %d | | | %d | %d | %d | %d | %d | %d |%n",
                modelBytes, layers.stream().mapToLong(LayerCost::weights).sum(), weightBytes(), macs(), bitOperations(), shiftAdds(),
                nonZeroWeightMacs(), partialProducts()));
        return sb.toString();
    }

    /**
     * Formats the report as JSON.
     *
     * @return the JSON text
     */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\n  \"layers\": [\n");
        for (int i = 0; i < layers.size(); i++) {
            LayerCost l = layers.get(i);
            sb.append(String.format(Locale.ROOT,
                    "    {\"path\": \"%s\", \"type\": \"%s\", \"quantization\": \"%s\", \"weights\": %d, \"weightBits\": %d, \"indexBits\": %d, \"activationBits\": %d, \"storageBytes\": %d, \"macs\": %d, \"bops\": %d, \"shiftAdds\": %s, \"nonZeroWeightMacs\": %s, \"partialProducts\": %s%s}%s%n",
                    escape(l.path()), l.type(), escape(l.quantization()), l.weights(), l.weightBits(), l.indexBits(), l.activationBits(),
                    l.storageBytes(), l.macs(), l.bitOperations(), orNull(l.shiftAdds()), orNull(l.nonZeroWeightMacs()), orNull(l.partialProducts()),
                    l.levelTable() == null ? "" : ", \"levels\": " + java.util.Arrays.toString(l.levelTable()), i + 1 < layers.size() ? "," : ""));
        }
        sb.append(String.format(Locale.ROOT, "  ],%n  \"total\": {\"modelBytes\": %d, \"weightBytes\": %d, \"macs\": %d, \"bops\": %d, \"shiftAdds\": %d, \"nonZeroWeightMacs\": %d, \"partialProducts\": %d}%n}%n",
                modelBytes, weightBytes(), macs(), bitOperations(), shiftAdds(), nonZeroWeightMacs(), partialProducts()));
        return sb.toString();
    }

    private static String orDash(long count) {
        return count < 0 ? "—" : Long.toString(count);
    }

    private static String orNull(long count) {
        return count < 0 ? "null" : Long.toString(count);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
