package ai.djl.quant;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.quant.nn.BlockTree;
import ai.djl.quant.nn.LayerInfo;
import ai.djl.quant.nn.NonNegativeInputs;
import ai.djl.quant.nn.ParallelJoin;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.nn.QuantizedSum;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The entry point: turns any DJL block tree into a quantization-aware model.
 *
 * <pre>{@code
 * QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
 * model.setBlock(qnet); // fine-tune, save and load as usual
 * }</pre>
 */
public final class Quantization {

    private Quantization() {}

    /**
     * Lists the quantizable layers of a model with their paths, for writing rules.
     *
     * @param root the model's block
     * @return the layers in forward order
     */
    public static List<LayerInfo> listLayers(Block root) {
        return BlockTree.findQuantizable(root);
    }

    /**
     * Rewrites a block tree in place: each {@code Conv2d} and {@code Linear} the configuration
     * quantizes is replaced by its quantized decorator, wherever it sits ({@code SequentialBlock},
     * {@code ParallelBlock}, custom {@code AbstractBlock} children).
     *
     * <p>A layer's input quantizer is unsigned where its input is never negative (after a ReLU,
     * see {@link NonNegativeInputs}) and signed elsewhere (linear bottlenecks, the model input).
     *
     * <p>If the model is initialized (trained or loaded), weight quantizers are calibrated from
     * the current weights at once; activation quantizers calibrate on the first batch.
     *
     * @param root the model's block; it is modified
     * @param config the configuration
     * @return the root of the wrapped model, to set as the model's block
     * @throws IllegalArgumentException when no layer is quantizable, a named rule matches no layer,
     *     or a weight holds NaN/Inf
     * @throws UnsupportedOperationException when a block calls a layer to quantize through a field
     */
    public static QuantizedNetwork wrap(Block root, QuantizationConfig config) {
        if (root instanceof QuantizedNetwork) {
            throw new IllegalArgumentException(
                    "The block is already wrapped; wrap its getNetwork() with a new configuration"
                            + " only after unwrapping, or build the model again.");
        }
        List<LayerInfo> layers = BlockTree.findQuantizable(root);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(
                    root.getClass().getName()
                            + " has no Conv2d or Linear layer to quantize (a SymbolBlock from a"
                            + " TorchScript file cannot be rewritten: build the model as DJL blocks).");
        }
        Map<LayerInfo, LayerPlan> plans = config.plan(layers);
        Map<Block, String> toReplace = new IdentityHashMap<>();
        plans.forEach(
                (layer, plan) -> {
                    if (plan.isQuantized()) {
                        toReplace.put(layer.block(), layer.displayPath());
                    }
                });
        BlockTree.checkRewritable(root, toReplace);

        Set<Block> nonNegativeInputs = NonNegativeInputs.find(root);
        Block network = root;
        List<QuantizedLayer> quantized = new ArrayList<>();
        for (Map.Entry<LayerInfo, LayerPlan> entry : plans.entrySet()) {
            LayerInfo layer = entry.getKey();
            LayerPlan plan = entry.getValue();
            if (!plan.isQuantized()) {
                continue;
            }
            Quantizer wq = plan.weights().create(QuantizerRole.WEIGHT);
            QuantizerRole inputRole = nonNegativeInputs.contains(layer.block())
                    ? QuantizerRole.ACTIVATION
                    : QuantizerRole.SIGNED_ACTIVATION;
            Quantizer aq = plan.activations() == null ? null : plan.activations().create(inputRole);
            QuantizedLayer decorator = QuantizedLayer.of(layer.block(), wq, aq, layer.displayPath());
            if (layer.path().isEmpty()) {
                network = decorator;
            } else {
                BlockTree.replace(root, layer.path(), decorator);
            }
            quantized.add(decorator);
        }
        List<QuantizedSum> sums = config.getSums() == null ? List.of() : wrapSums(network, config.getSums());
        if (!sums.isEmpty() && sums.get(0).getPath().equals(BlockTree.displayPath(""))) {
            network = sums.get(0); // the root itself was a residual sum
        }
        return new QuantizedNetwork(network, quantized, sums);
    }

    /** Replaces every sum-joined ParallelBlock, innermost first, by a {@link QuantizedSum}. */
    private static List<QuantizedSum> wrapSums(Block root, QuantizerSpec spec) {
        List<Pair<String, ParallelBlock>> parallels = BlockTree.find(root, ParallelBlock.class);
        List<QuantizedSum> sums = new ArrayList<>();
        try (NDManager probe = NDManager.newBaseManager()) {
            for (int i = parallels.size() - 1; i >= 0; i--) {
                String path = parallels.get(i).getKey();
                ParallelBlock parallel = parallels.get(i).getValue();
                ParallelJoin join = parallel.getChildren().size() < 2 ? ParallelJoin.OTHER : ParallelJoin.of(parallel, probe);
                if (!join.isSum()) {
                    continue;
                }
                QuantizedSum sum = new QuantizedSum(parallel, join == ParallelJoin.SUM_RELU, spec, BlockTree.displayPath(path));
                if (!path.isEmpty()) {
                    BlockTree.replace(root, path, sum);
                }
                sums.add(sum);
            }
        }
        Collections.reverse(sums); // forward order
        return sums;
    }
}
